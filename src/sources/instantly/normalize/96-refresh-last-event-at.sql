-- Up to :batch_size of the leads whose events this drain (or a killed one
-- before it) wrote.
select leadgraph_private.refresh_stale_last_event_at(:batch_size) as taken
