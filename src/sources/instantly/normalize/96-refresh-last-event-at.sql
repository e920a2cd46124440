-- The leads whose events this drain (or a killed one before it) wrote.
select leadgraph_private.refresh_stale_last_event_at() as refreshed
