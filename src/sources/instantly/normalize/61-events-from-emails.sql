-- The sync's version of an email wins: a re-sync updates the event in place
-- (also the event a webhook made of it first).
insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, email_subject,
                    email_body, email_quoted_text, email_from, email_to, instantly_email_id, raw_data)
select 'instantly', s.event_type, s.lead_id, s.campaign_id, s.campaign_lead_id, s.event_timestamp, s.email_subject,
       s.email_body, s.email_quoted_text, s.email_from, s.email_to, s.instantly_email_id, r.raw_json
from staged s join instantly_emails_raw r on r.instantly_email_id = s.source_id
where s.source = 'email'
on conflict (instantly_email_id) where instantly_email_id is not null do update set
  event_type = excluded.event_type, lead_id = excluded.lead_id, campaign_id = excluded.campaign_id,
  campaign_lead_id = excluded.campaign_lead_id, event_timestamp = excluded.event_timestamp,
  email_subject = excluded.email_subject, email_body = excluded.email_body, email_quoted_text = excluded.email_quoted_text,
  email_from = excluded.email_from, email_to = excluded.email_to, raw_data = excluded.raw_data
where events.raw_data is distinct from excluded.raw_data or events.lead_id is distinct from excluded.lead_id
   or events.campaign_id is distinct from excluded.campaign_id
