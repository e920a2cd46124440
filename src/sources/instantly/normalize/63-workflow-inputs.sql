-- What the workflow (92-workflow.sql, at the end of the drain) reads of each
-- event and could fail on (the step of a sent email), read here for this
-- batch's rows: such a row fails its batch and is set aside, as when the
-- workflow ran per batch, instead of failing the drain after it.
select count(leadgraph_private.instantly_step_number(x.j ->> 'step')) as steps
from (
  select s.event_type, r.raw_json as j
  from staged s join instantly_emails_raw r on r.instantly_email_id = s.source_id
  where s.source = 'email' and s.campaign_id is not null and s.lead_id is not null
  union all
  select s.event_type, w.payload
  from staged s join instantly_webhooks_raw w on w.id = s.source_id::uuid
  where s.source = 'webhook' and s.campaign_id is not null and s.lead_id is not null
) x
where leadgraph_rules.email_status_of_event(x.event_type) = 'sent'
