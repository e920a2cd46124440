-- Instantly leads (POST /leads/list). The person's fields from Instantly's
-- columns, else from payload in the user's casing (real leads carry them only
-- there). Emails and webhooks find people by address: a lead without a usable
-- one could only become an email-less duplicate (or break the batch).
-- (The claim is this statement's own delete, not claim_instantly_pending():
-- a volatile function's statement takes a later snapshot than this one, so it
-- could take a queued row committed after this statement began, whose raw row
-- the join here cannot see yet: the row gone from the queue, never normalised.
-- bench/soak.ts found webhooks lost so. Same snapshot, same rows.)
with claimed as (
  delete from leadgraph_private.instantly_pending p
  where p.resource = 'lead' and p.source_id in (
    select q.source_id from leadgraph_private.instantly_pending q
    where q.resource = 'lead' order by q.source_id limit :batch_size for update skip locked)
  returning p.source_id
)
insert into staged (source, source_id, lead_email, first_name, last_name, company_name, website, phone, job_title,
                    linkedin_url, instantly_campaign_id, reject_reason)
select 'lead', r.instantly_lead_id, a.lead_email,
       p.first_name, p.last_name, p.company_name, p.website, p.phone, p.job_title, p.linkedin_url,
       nullif(r.instantly_campaign_id, ''),
       case when not coalesce(leadgraph_rules.is_email(a.lead_email), false) then 'no valid email address' end
from claimed
join instantly_leads_raw r on r.instantly_lead_id = claimed.source_id
cross join lateral (select leadgraph_rules.normalize_email(r.raw_json ->> 'email') as lead_email offset 0) a  -- once per row
cross join lateral leadgraph_private.instantly_person(r.raw_json, r.raw_json -> 'payload') p
