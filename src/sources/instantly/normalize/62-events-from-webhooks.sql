-- Each webhook row is normalised once (its pending row goes with this
-- transaction), so a plain insert is exact; an email already stored by the
-- sync (same id, or same lead/campaign/type within :same_email_window without
-- an id) is not added twice.
insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, email_subject,
                    email_body, email_quoted_text, email_from, email_to, instantly_email_id, raw_data)
select 'instantly', s.event_type, s.lead_id, s.campaign_id, s.campaign_lead_id, s.event_timestamp, s.email_subject,
       s.email_body, s.email_quoted_text, s.email_from, s.email_to, s.instantly_email_id, w.payload
from staged s join instantly_webhooks_raw w on w.id = s.source_id::uuid
where s.source = 'webhook'
  and not (s.event_type in ('email_sent', 'email_replied', 'auto_reply_received') and s.instantly_email_id is null
           and exists (select 1 from events e where e.lead_id = s.lead_id and e.event_type = s.event_type
                         and e.event_source = 'instantly' and e.campaign_id is not distinct from s.campaign_id
                         and e.event_timestamp between s.event_timestamp - :same_email_window::interval
                                                   and s.event_timestamp + :same_email_window::interval))
on conflict (instantly_email_id) where instantly_email_id is not null do nothing
