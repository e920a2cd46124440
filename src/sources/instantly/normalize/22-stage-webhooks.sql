-- A webhook event -> one event. Instantly's names as delivered, except
-- link_clicked (what Instantly sends for the email_link_clicked
-- subscription) and reply_received -> email_replied, the type the same email
-- gets from the sync, so the two end as one event. Custom labels stay as they
-- come. The lead data merged into the payload is read in the user's casing
-- (First_name, Company_name, ...).
-- (The claim is this statement's own delete, not claim_instantly_pending():
-- a volatile function's statement takes a later snapshot than this one, so it
-- could take a queued row committed after this statement began, whose raw row
-- the join here cannot see yet: the row gone from the queue, never normalised.
-- bench/soak.ts found webhooks lost so. Same snapshot, same rows.)
with claimed as (
  delete from leadgraph_private.instantly_pending p
  where p.resource = 'webhook' and p.source_id in (
    select q.source_id from leadgraph_private.instantly_pending q
    where q.resource = 'webhook' order by q.source_id limit :batch_size for update skip locked)
  returning p.source_id
),
w as (
  select w.id::text as id, w.payload as j, w.instantly_email_id, w.event_timestamp,
         coalesce(w.lead_email, leadgraph_rules.normalize_email(w.payload ->> 'email')) as lead_email,
         case w.event_type
           when 'email_link_clicked' then 'link_clicked'
           when 'reply_received' then 'email_replied'
           else nullif(btrim(w.event_type), '')
         end as our_type,
         case when btrim(w.payload ->> 'reply_text') <> '' then w.payload ->> 'reply_text'
              when btrim(w.payload ->> 'email_text') <> '' then w.payload ->> 'email_text' end as body_text,
         case when btrim(w.payload ->> 'reply_html') <> '' then w.payload ->> 'reply_html'
              when btrim(w.payload ->> 'email_html') <> '' then w.payload ->> 'email_html' end as body_html
  from claimed
  join instantly_webhooks_raw w on w.id = claimed.source_id::uuid
)
insert into staged (source, source_id, lead_email, first_name, last_name, company_name, website, phone, job_title, linkedin_url,
                    instantly_campaign_id, campaign_name, event_type, event_timestamp, email_subject, email_body, body_is_html,
                    email_from, email_to, instantly_email_id, reject_reason)
select 'webhook', w.id, w.lead_email,
       p.first_name, p.last_name, p.company_name, p.website, p.phone, p.job_title, p.linkedin_url,
       nullif(w.j ->> 'campaign_id', ''), w.j ->> 'campaign_name',
       w.our_type,
       coalesce(w.event_timestamp, now()),
       coalesce(w.j ->> 'reply_subject', w.j ->> 'email_subject'),
       -- The whole text, else the HTML, else the snippet (the start of a reply only).
       left(coalesce(w.body_text, w.body_html, w.j ->> 'reply_text_snippet'), :max_body_chars),
       w.body_text is null and w.body_html is not null,
       case when w.our_type in ('email_replied', 'auto_reply_received') then w.lead_email else w.j ->> 'email_account' end,
       case when w.our_type in ('email_replied', 'auto_reply_received') then w.j ->> 'email_account' else w.lead_email end,
       -- Only the events that are one email carry its id (an open or a label
       -- may name the email it is about; that stays in raw_data).
       case when w.our_type in ('email_sent', 'email_replied', 'auto_reply_received') then w.instantly_email_id end,
       case
         when w.our_type is null then 'no event_type'
         when w.our_type = 'account_error' then 'a sending account event, about no lead'
         when not coalesce(leadgraph_rules.is_email(w.lead_email), false) then 'no lead_email'
       end
from w
cross join lateral leadgraph_private.instantly_person(null, w.j) p
