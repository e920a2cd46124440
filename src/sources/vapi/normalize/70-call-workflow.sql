-- campaign_leads' call fields, recomputed from every call of the
-- memberships this batch touched (leadgraph_private.vapi_call_matches), so
-- the order calls and messages arrive in does not matter. call_status only
-- climbs (leadgraph_rules.call_status_rank: not_scheduled < scheduled <
-- failed < no_answer = voicemail = wrong_number < completed; do_not_call
-- absorbs); among calls of the same rank the newest call's status counts.
-- Only canceled calls (and none open): a scheduled membership is
-- not_scheduled again. call_scheduled_at: the first call's creation;
-- call_completed_at and call_duration_seconds: the latest completed call's.
with touched as (
  select campaign_lead_id as id from staged where campaign_lead_id is not null
  union
  select previous_campaign_lead_id from staged where previous_campaign_lead_id is not null
),
calls as (
  select t.id,
         (array_agg(m.call_status order by leadgraph_rules.call_status_rank(m.call_status) desc, m.activity_at desc nulls last,
                    m.vapi_call_id desc))[1] as call_status,
         min(m.created_at_vapi) as scheduled_at,
         max(m.ended_at) filter (where m.call_status = 'completed') as completed_at,
         (array_agg(m.duration_seconds order by m.ended_at desc nulls last, m.vapi_call_id desc)
            filter (where m.call_status = 'completed'))[1] as duration_seconds,
         max(m.activity_at) as activity_at
  from touched t join leadgraph_private.vapi_call_matches m on m.campaign_lead_id = t.id
  group by t.id
),
next as (
  select cl.id,
         case when cl.call_status = 'do_not_call' then cl.call_status
              when leadgraph_rules.call_status_rank(c.call_status) >= leadgraph_rules.call_status_rank(cl.call_status) then c.call_status
              when cl.call_status = 'scheduled' and c.call_status = 'not_scheduled' then c.call_status
              else cl.call_status end as call_status,
         least(cl.call_scheduled_at, c.scheduled_at) as call_scheduled_at,
         case when c.completed_at >= cl.call_completed_at or cl.call_completed_at is null then coalesce(c.completed_at, cl.call_completed_at)
              else cl.call_completed_at end as call_completed_at,
         case when c.completed_at >= cl.call_completed_at or (cl.call_completed_at is null and c.completed_at is not null)
              then c.duration_seconds else cl.call_duration_seconds end as call_duration_seconds,
         greatest(cl.last_activity_at, c.activity_at) as last_activity_at
  from calls c join campaign_leads cl on cl.id = c.id
)
update campaign_leads cl set
  call_status = n.call_status, call_scheduled_at = n.call_scheduled_at, call_completed_at = n.call_completed_at,
  call_duration_seconds = n.call_duration_seconds, last_activity_at = n.last_activity_at
from next n
where cl.id = n.id
  and (cl.call_status, cl.call_scheduled_at, cl.call_completed_at, cl.call_duration_seconds, cl.last_activity_at)
      is distinct from (n.call_status, n.call_scheduled_at, n.call_completed_at, n.call_duration_seconds, n.last_activity_at)
