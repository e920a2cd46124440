-- Each call's lead, membership and what it says of the membership's call
-- workflow: scheduled until it ends, then its outcome's status
-- (leadgraph_rules.call_status_of_event), do_not_call when the structured
-- data says so.
insert into leadgraph_private.vapi_call_matches as m (vapi_call_id, lead_id, campaign_lead_id, matched_by, call_status,
                                                     created_at_vapi, ended_at, duration_seconds, activity_at)
select s.vapi_call_id, s.lead_id, s.campaign_lead_id, s.matched_by,
       case when s.do_not_call then 'do_not_call'
            when s.event_type is null then 'scheduled'
            else leadgraph_rules.call_status_of_event(s.event_type, s.call_outcome) end,
       s.vapi_created_at, case when s.event_type is not null then s.ended_at end, s.duration_seconds,
       coalesce(case when s.event_type is not null then s.ended_at end, s.started_at, s.vapi_created_at)
from staged s
on conflict (vapi_call_id) do update set
  lead_id = excluded.lead_id, campaign_lead_id = excluded.campaign_lead_id, matched_by = excluded.matched_by,
  call_status = excluded.call_status, created_at_vapi = excluded.created_at_vapi, ended_at = excluded.ended_at,
  duration_seconds = excluded.duration_seconds, activity_at = excluded.activity_at
where (m.lead_id, m.campaign_lead_id, m.matched_by, m.call_status, m.created_at_vapi, m.ended_at, m.duration_seconds, m.activity_at)
      is distinct from (excluded.lead_id, excluded.campaign_lead_id, excluded.matched_by, excluded.call_status,
                        excluded.created_at_vapi, excluded.ended_at, excluded.duration_seconds, excluded.activity_at)
