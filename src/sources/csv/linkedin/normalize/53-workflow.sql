-- campaign_leads.linkedin_status follows the touches and never moves back
-- (leadgraph_rules.linkedin_status_rank); last_activity_at the newest touch
-- (a status change sets it to now(): the trigger of migration 000008).
with touched as (
  select s.campaign_lead_id,
         (array_agg(leadgraph_rules.linkedin_status_of_event(s.event_type)
                    order by leadgraph_rules.linkedin_status_rank(leadgraph_rules.linkedin_status_of_event(s.event_type)) desc nulls last))[1]
           as best_status,
         max(s.event_at) as last_at
  from staged s
  where s.reject_reason is null and s.campaign_lead_id is not null and s.event_id is not null
  group by s.campaign_lead_id
),
next as (
  select cl.id,
         case when coalesce(leadgraph_rules.linkedin_status_rank(t.best_status), 0) > leadgraph_rules.linkedin_status_rank(cl.linkedin_status)
              then t.best_status else cl.linkedin_status end as linkedin_status,
         greatest(cl.last_activity_at, t.last_at) as last_activity_at
  from touched t
  join campaign_leads cl on cl.id = t.campaign_lead_id
)
update campaign_leads cl set linkedin_status = n.linkedin_status, last_activity_at = n.last_activity_at
from next n
where cl.id = n.id and (cl.linkedin_status, cl.last_activity_at) is distinct from (n.linkedin_status, n.last_activity_at)
