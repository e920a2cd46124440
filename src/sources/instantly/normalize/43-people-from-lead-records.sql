-- Instantly's lead record of a person is the best source of who they are
-- (an email only has a display name): the newest record of each address
-- (updated_at, then id: the same one whichever order rows came in). Emails
-- and webhooks of people we don't know yet take its fields first; a lead row
-- takes the newest record of its address whole, so every batch that touches
-- the address writes the same values.
with wanted as (
  -- Emails and webhooks: people we don't know. Lead rows: an address with another record than this one.
  select distinct s.lead_email
  from staged s
  where case when s.source = 'lead'
             then exists (select 1 from instantly_leads_raw o where o.email = s.lead_email and o.instantly_lead_id <> s.source_id)
             else s.lead_id is null end
),
latest as (
  select distinct on (email) email, instantly_lead_id
  from instantly_leads_raw
  where email in (select lead_email from wanted)
  order by email, updated_at desc, instantly_lead_id desc
),
records as (
  -- The JSON read after, for the newest record only.
  select latest.email, latest.instantly_lead_id, p.*
  from latest
  join instantly_leads_raw r on r.instantly_lead_id = latest.instantly_lead_id
  cross join lateral leadgraph_private.instantly_person(r.raw_json, r.raw_json -> 'payload') p
)
update staged s set
  first_name = case when s.source = 'lead' then r.first_name else coalesce(r.first_name, s.first_name) end,
  last_name = case when s.source = 'lead' then r.last_name else coalesce(r.last_name, s.last_name) end,
  company_name = case when s.source = 'lead' then r.company_name else coalesce(r.company_name, s.company_name) end,
  website = case when s.source = 'lead' then r.website else coalesce(r.website, s.website) end,
  phone = case when s.source = 'lead' then r.phone else coalesce(r.phone, s.phone) end,
  job_title = case when s.source = 'lead' then r.job_title else coalesce(r.job_title, s.job_title) end,
  linkedin_url = case when s.source = 'lead' then r.linkedin_url else coalesce(r.linkedin_url, s.linkedin_url) end
from records r
where r.email = s.lead_email
  and case when s.source = 'lead' then s.source_id <> r.instantly_lead_id else s.lead_id is null end
