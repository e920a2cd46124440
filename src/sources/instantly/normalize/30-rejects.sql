-- Rows that cannot become anything are recorded (stage normalize) with the
-- reason, and left out of every step after this one.
insert into instantly_rejects (stage, resource, source_id, reason, raw_json)
select 'normalize', s.source, s.source_id, s.reject_reason, leadgraph_private.instantly_raw_json(s.source, s.source_id)
from staged s
where s.reject_reason is not null
on conflict (stage, resource, source_id) do update set reason = excluded.reason, raw_json = excluded.raw_json
