-- One event per ended call (events_vapi_call_outcome_key): the webhook's
-- and the sync's copies are one row, updated in place when a later version
-- brings more (the analysis, the recording). Calls not ended have none.
insert into events as e (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp,
                         call_duration_seconds, call_recording_url, call_transcript, call_summary, call_success_evaluation,
                         call_outcome, vapi_call_id, raw_data)
select 'vapi', s.event_type, s.lead_id, s.campaign_id, s.campaign_lead_id, coalesce(s.started_at, s.vapi_created_at),
       s.duration_seconds, s.recording_url, s.transcript, s.summary, s.success_evaluation,
       s.call_outcome, s.vapi_call_id, s.raw_data
from staged s
where s.event_type is not null
on conflict (vapi_call_id)
  where event_source = 'vapi' and event_type in ('call_completed', 'call_voicemail', 'call_no_answer', 'call_failed', 'call_canceled')
do update set
  event_type = excluded.event_type, lead_id = excluded.lead_id, campaign_id = excluded.campaign_id,
  campaign_lead_id = excluded.campaign_lead_id, event_timestamp = excluded.event_timestamp,
  call_duration_seconds = excluded.call_duration_seconds, call_recording_url = excluded.call_recording_url,
  call_transcript = excluded.call_transcript, call_summary = excluded.call_summary,
  call_success_evaluation = excluded.call_success_evaluation, call_outcome = excluded.call_outcome, raw_data = excluded.raw_data
where (e.event_type, e.lead_id, e.campaign_id, e.campaign_lead_id, e.event_timestamp, e.call_duration_seconds,
       e.call_recording_url, e.call_transcript, e.call_summary, e.call_success_evaluation, e.call_outcome, e.raw_data)
      is distinct from
      (excluded.event_type, excluded.lead_id, excluded.campaign_id, excluded.campaign_lead_id, excluded.event_timestamp,
       excluded.call_duration_seconds, excluded.call_recording_url, excluded.call_transcript, excluded.call_summary,
       excluded.call_success_evaluation, excluded.call_outcome, excluded.raw_data)
