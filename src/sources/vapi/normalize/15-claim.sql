-- Takes a batch of queued rows off the queue (in this transaction: a failed
-- batch leaves them queued), with the call each is about.
create temp table claimed on commit drop as
select c.resource, c.source_id,
       case when c.resource = 'call' then c.source_id else w.vapi_call_id end as vapi_call_id
from leadgraph_private.claim_vapi_pending(:batch_size) c
left join vapi_webhooks_raw w on w.id = case when c.resource = 'webhook' then c.source_id::uuid end
