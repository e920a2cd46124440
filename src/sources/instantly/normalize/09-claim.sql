-- Takes up to :batch_size queued rows of one resource off the queue (in this
-- transaction: a failed batch leaves them queued), in a statement of its own.
-- claim_instantly_pending is volatile, so its DELETE runs with a newer
-- snapshot than the statement calling it: a join to the raw tables in that
-- same statement misses the raw rows committed in between, and their queue
-- entries would be gone with nothing normalised (seen in a sync test; see
-- docs/decisions.md). A later statement sees the raw row of every row taken
-- here (the raw row and its queue entry are committed together).
create temp table claimed on commit drop as
select source_id from leadgraph_private.claim_instantly_pending(:resource, :batch_size) as c (source_id)
