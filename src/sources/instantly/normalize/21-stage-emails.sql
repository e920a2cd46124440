-- One email -> one event. Its type from ue_type (1 campaign send, 2 received,
-- 3 manual send from the Unibox, 4 scheduled) and is_auto_reply; the lead is
-- Instantly's `lead` field, else the other party of the email. The body is
-- the text part, else the HTML (made text before the events are written).
-- (offset 0: each derived value is computed once per row, not once per use.)
-- (The claim is this statement's own delete, not claim_instantly_pending():
-- a volatile function's statement takes a later snapshot than this one, so it
-- could take a queued row committed after this statement began, whose raw row
-- the join here cannot see yet: the row gone from the queue, never normalised.
-- bench/soak.ts found webhooks lost so. Same snapshot, same rows.)
with claimed as (
  delete from leadgraph_private.instantly_pending p
  where p.resource = 'email' and p.source_id in (
    select q.source_id from leadgraph_private.instantly_pending q
    where q.resource = 'email' order by q.source_id limit :batch_size for update skip locked)
  returning p.source_id
),
r as (
  select e.instantly_email_id, e.raw_json as j,
         case when jsonb_typeof(e.raw_json -> 'ue_type') = 'number' then (e.raw_json ->> 'ue_type')::numeric end as ue_type
  from claimed
  join instantly_emails_raw e on e.instantly_email_id = claimed.source_id
),
t as (
  select r.*, d.*
  from r
  cross join lateral (
    select case
             when r.ue_type = 2 then 'received'
             when r.ue_type in (1, 3, 4) then 'sent'
             when leadgraph_rules.normalize_email(r.j ->> 'from_address_email') = leadgraph_rules.normalize_email(r.j ->> 'lead') then 'received'
             else 'sent'
           end as direction,
           coalesce(leadgraph_private.instantly_timestamp(r.j ->> 'timestamp_email'),
                    leadgraph_private.instantly_timestamp(r.j ->> 'timestamp_created')) as sent_at,
           case when btrim(r.j #>> '{body,text}') <> '' then r.j #>> '{body,text}' end as body_text,
           case when btrim(r.j #>> '{body,html}') <> '' then r.j #>> '{body,html}' end as body_html
    offset 0
  ) d
)
insert into staged (source, source_id, lead_email, first_name, last_name, instantly_campaign_id, event_type, event_timestamp,
                    email_subject, email_body, body_is_html, email_from, email_to, instantly_email_id, reject_reason)
select 'email', t.instantly_email_id, x.lead_email,
       -- The sender's display name, unless it is just the address.
       case when t.direction = 'received' and x.display_name !~ '@' then leadgraph_rules.first_name_of(x.display_name) end,
       case when t.direction = 'received' and x.display_name !~ '@' then leadgraph_rules.last_name_of(x.display_name) end,
       nullif(t.j ->> 'campaign_id', ''),
       case
         when t.ue_type = 3 then 'manual_email_sent'
         when t.direction = 'received' and t.j ->> 'is_auto_reply' in ('1', 'true') then 'auto_reply_received'
         when t.direction = 'received' then 'email_replied'
         else 'email_sent'
       end,
       t.sent_at,
       t.j ->> 'subject',
       left(coalesce(t.body_text, t.body_html), :max_body_chars),
       t.body_text is null and t.body_html is not null,
       coalesce(t.j ->> 'from_address_email', case when t.direction = 'sent' then t.j ->> 'eaccount' end),
       t.j ->> 'to_address_email_list',
       t.instantly_email_id,
       case
         when t.ue_type = 4 then 'a scheduled email, not sent yet'
         when not coalesce(leadgraph_rules.is_email(x.lead_email), false)
           then 'no lead email address (lead, from_address_email, to_address_email_list)'
         when t.sent_at is null then 'no valid timestamp_email or timestamp_created'
       end
from t
cross join lateral (
  select leadgraph_rules.normalize_email(coalesce(
           t.j ->> 'lead',
           case when t.direction = 'received' then t.j ->> 'from_address_email'
                else split_part(t.j ->> 'to_address_email_list', ',', 1) end)) as lead_email,
         t.j #>> '{from_address_json,0,name}' as display_name
  offset 0
) x
