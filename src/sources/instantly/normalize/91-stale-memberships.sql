-- Up to :batch_size memberships waiting for their workflow, off the queue in
-- the transaction that recomputes them.
with taken as (
  delete from leadgraph_private.instantly_workflow_stale w
  using (select campaign_id, lead_id from leadgraph_private.instantly_workflow_stale
         order by campaign_id, lead_id limit :batch_size for update skip locked) t
  where w.campaign_id = t.campaign_id and w.lead_id = t.lead_id
  returning w.campaign_id, w.lead_id
)
insert into touched (campaign_id, lead_id) select campaign_id, lead_id from taken
