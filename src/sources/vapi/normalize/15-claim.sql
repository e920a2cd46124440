-- Takes a batch of queued rows off the queue (in this transaction: a failed
-- batch leaves them queued), in a statement of its own: claim_vapi_pending is
-- volatile, so its DELETE sees rows committed after the calling statement
-- began, and a join to the raw tables in that statement would miss their raw
-- rows (docs/decisions.md). Step webhook-calls, a later statement, reads them.
create temp table claimed on commit drop as
select c.resource, c.source_id, case when c.resource = 'call' then c.source_id end as vapi_call_id
from leadgraph_private.claim_vapi_pending(:batch_size) c
