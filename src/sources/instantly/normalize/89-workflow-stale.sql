-- The memberships this batch touched: their workflow is recomputed at the
-- end of the drain (91-stale-memberships.sql, 92-workflow.sql), and by the
-- retry if the job dies before.
insert into leadgraph_private.instantly_workflow_stale (campaign_id, lead_id)
select distinct campaign_id, lead_id from staged
where campaign_id is not null and lead_id is not null
order by campaign_id, lead_id
on conflict do nothing
