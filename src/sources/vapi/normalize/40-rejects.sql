-- Calls that found no lead (or several), and messages about no call, are
-- recorded with the reason (stage normalize) and tried again later:
-- 05-requeue-rejects.sql. A repeat refreshes the row, so its updated_at says
-- when it was last tried.
insert into vapi_rejects (stage, resource, source_id, reason, raw_json)
select 'normalize', s.resource, s.source_id, s.reject_reason,
       case when s.resource = 'call' then s.raw_data
            else (select w.payload from vapi_webhooks_raw w where w.id = s.source_id::uuid) end
from staged s
where s.reject_reason is not null
on conflict (stage, resource, source_id) do update set reason = excluded.reason, raw_json = excluded.raw_json
