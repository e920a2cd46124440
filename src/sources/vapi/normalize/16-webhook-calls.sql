-- The call each claimed webhook delivery is about.
update claimed c set vapi_call_id = w.vapi_call_id
from vapi_webhooks_raw w
where c.resource = 'webhook' and w.id = c.source_id::uuid
