-- The next queued row (the one a batch of 1 failed on), taken off the queue
-- by step claim, into vapi_rejects with the error.
insert into vapi_rejects (stage, resource, source_id, reason, raw_json)
select 'normalize', c.resource, c.source_id, :reason::text,
       case when c.resource = 'call' then (select r.raw_json from vapi_calls_raw r where r.vapi_call_id = c.source_id)
            else (select w.payload from vapi_webhooks_raw w where w.id = c.source_id::uuid) end
from claimed c
on conflict (stage, resource, source_id) do update set reason = excluded.reason, raw_json = excluded.raw_json
