-- The next queued row of a resource (the one a batch of 1 failed on), taken
-- off the queue by step claim, into instantly_rejects with the error.
insert into instantly_rejects (stage, resource, source_id, reason, raw_json)
select 'normalize', :resource::text, claimed.source_id, :reason::text, leadgraph_private.instantly_raw_json(:resource, claimed.source_id)
from claimed
on conflict (stage, resource, source_id) do update set reason = excluded.reason, raw_json = excluded.raw_json
