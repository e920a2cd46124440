-- Claims queued rows and merges, per call, everything known of it: the
-- stored version (vapi_calls_raw), the call inside every delivered message,
-- and the end-of-call-report and status-update messages themselves. Each
-- field is the newest non-empty one (by the call's updatedAt, the message's
-- timestamp; at the same moment a report before the stored call before a
-- message's call before a status-update), so a late or repeated delivery
-- fills gaps and never undoes newer information, and the result does not
-- depend on which arrived first (copies of one version: the one in the
-- latest message, then by row id). Reports are read artifact.* / analysis.*
-- first, then the legacy top-level transcript, summary, recordingUrl.
-- Status-updates give status and endedReason only (their artifact is a live
-- copy, partial).
with calls as (
  select distinct vapi_call_id from claimed where vapi_call_id is not null
),
src as (
  select r.vapi_call_id, r.vapi_updated_at as ts, 1 as pref, null::timestamptz as sent_at, '' as tie, 'call' as kind, r.raw_json as j
  from calls join vapi_calls_raw r using (vapi_call_id)
  union all
  select w.vapi_call_id,
         coalesce(leadgraph_private.vapi_timestamp(w.payload #>> '{message,call,updatedAt}'), w.message_timestamp), 2,
         w.message_timestamp, w.id::text, 'call', w.payload #> '{message,call}'
  from calls join vapi_webhooks_raw w using (vapi_call_id)
  where w.message_type in ('status-update', 'end-of-call-report') and jsonb_typeof(w.payload #> '{message,call}') = 'object'
  union all
  select w.vapi_call_id, w.message_timestamp, case w.message_type when 'end-of-call-report' then 0 else 3 end,
         w.message_timestamp, w.id::text, w.message_type, w.payload -> 'message'
  from calls join vapi_webhooks_raw w using (vapi_call_id)
  where w.message_type in ('status-update', 'end-of-call-report')
),
fields as (
  select s.vapi_call_id, s.ts, s.pref, s.sent_at, s.tie,
         case when s.kind = 'call' then s.j end as call_json,
         case when s.kind = 'status-update' and s.j ->> 'status' is distinct from 'ended' then null
              else nullif(btrim(s.j ->> 'endedReason'), '') end as ended_reason,
         leadgraph_private.vapi_timestamp(s.j ->> 'startedAt') as started_at,
         leadgraph_private.vapi_timestamp(s.j ->> 'endedAt') as ended_at,
         case when s.kind = 'call' then leadgraph_private.vapi_timestamp(s.j ->> 'createdAt') end as created_at,
         r.analysis, r.artifact,
         nullif(btrim(coalesce(r.analysis ->> 'summary', case when s.kind <> 'status-update' then s.j ->> 'summary' end)), '') as summary,
         nullif(btrim(r.analysis #>> '{successEvaluation}'), '') as success_evaluation,
         case when jsonb_typeof(r.analysis -> 'structuredData') = 'object' then r.analysis -> 'structuredData' end as structured_data,
         nullif(btrim(coalesce(r.artifact ->> 'transcript', case when s.kind <> 'status-update' then s.j ->> 'transcript' end)), '') as transcript,
         nullif(btrim(coalesce(r.artifact #>> '{recording,mono,combinedUrl}', r.artifact ->> 'recordingUrl',
                               case when s.kind <> 'status-update' then s.j ->> 'recordingUrl' end)), '') as recording_url,
         case when jsonb_typeof(s.j -> 'customer') = 'object' then s.j -> 'customer' end as customer,
         nullif(btrim(s.j ->> 'campaignId'), '') as vapi_campaign_id
  from src s
  cross join lateral (
    select case when s.kind <> 'status-update' and jsonb_typeof(s.j -> 'analysis') = 'object' and s.j -> 'analysis' <> '{}'
                then s.j -> 'analysis' end as analysis,
           case when s.kind <> 'status-update' and jsonb_typeof(s.j -> 'artifact') = 'object' and s.j -> 'artifact' <> '{}'
                then s.j -> 'artifact' end as artifact
  ) r
),
merged as (
  select f.vapi_call_id,
         (array_agg(f.call_json order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.call_json is not null))[1] as call_json,
         (array_agg(f.ended_reason order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.ended_reason is not null))[1] as ended_reason,
         (array_agg(f.started_at order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.started_at is not null))[1] as started_at,
         (array_agg(f.ended_at order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.ended_at is not null))[1] as ended_at,
         min(f.created_at) as created_at,
         (array_agg(f.analysis order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.analysis is not null))[1] as analysis,
         (array_agg(f.artifact order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.artifact is not null))[1] as artifact,
         (array_agg(f.summary order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.summary is not null))[1] as summary,
         (array_agg(f.success_evaluation order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.success_evaluation is not null))[1] as success_evaluation,
         (array_agg(f.structured_data order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.structured_data is not null))[1] as structured_data,
         (array_agg(f.transcript order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.transcript is not null))[1] as transcript,
         (array_agg(f.recording_url order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.recording_url is not null))[1] as recording_url,
         (array_agg(f.customer order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.customer is not null))[1] as customer,
         (array_agg(f.customer ->> 'number' order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where nullif(btrim(f.customer ->> 'number'), '') is not null))[1] as customer_number,
         (array_agg(f.customer ->> 'externalId' order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where nullif(btrim(f.customer ->> 'externalId'), '') is not null))[1] as external_id,
         (array_agg(f.vapi_campaign_id order by f.ts desc nulls last, f.pref, f.sent_at desc nulls last, f.tie) filter (where f.vapi_campaign_id is not null))[1] as vapi_campaign_id,
         min(f.ts) as first_seen
  from fields f
  group by f.vapi_call_id
)
insert into staged (resource, source_id, vapi_call_id, ended_reason, started_at, ended_at, vapi_created_at, summary,
                    success_evaluation, structured_data, transcript, recording_url, customer_number, external_id,
                    vapi_campaign_id, raw_data, event_type, call_outcome, duration_seconds, do_not_call,
                    previous_lead_id, previous_campaign_lead_id, reject_reason)
select 'call', m.vapi_call_id, m.vapi_call_id, m.ended_reason, m.started_at, m.ended_at,
       coalesce(m.created_at, m.started_at, m.first_seen), m.summary, m.success_evaluation, m.structured_data,
       m.transcript, m.recording_url, btrim(m.customer_number), btrim(m.external_id), m.vapi_campaign_id,
       -- The merged call without presigned URLs (they expire; the stable
       -- URLs are kept; the rule itself skips a call that has none).
       leadgraph_rules.vapi_without_presigned(x.merged),
       leadgraph_rules.vapi_call_event_type(m.ended_reason),
       leadgraph_rules.vapi_call_outcome(m.ended_reason),
       case when m.ended_at >= m.started_at then round(extract(epoch from m.ended_at - m.started_at))::integer end,
       -- The assistant's structured data may say the person asked not to be called.
       coalesce(m.structured_data ->> 'doNotCall' = 'true' or m.structured_data ->> 'do_not_call' = 'true', false),
       p.lead_id, p.campaign_lead_id,
       case when m.customer_number is null and m.external_id is null then 'the call has neither a customer number nor an externalId' end
from merged m
-- The merged call: its newest version with what the messages added.
cross join lateral (
  select coalesce(m.call_json, jsonb_build_object('id', m.vapi_call_id))
         || jsonb_strip_nulls(jsonb_build_object(
              'endedReason', m.ended_reason, 'status', case when m.ended_reason is not null then 'ended' end,
              'customer', m.customer, 'analysis', m.analysis, 'artifact', m.artifact,
              'startedAt', case when m.call_json ->> 'startedAt' is null then to_jsonb(m.started_at) end,
              'endedAt', case when m.call_json ->> 'endedAt' is null then to_jsonb(m.ended_at) end,
              -- A legacy report's top-level fields, where the call has no artifact / analysis.
              'transcript', case when m.artifact ->> 'transcript' is null then to_jsonb(m.transcript) end,
              'summary', case when m.analysis ->> 'summary' is null then to_jsonb(m.summary) end,
              'recordingUrl', case when m.artifact is null then to_jsonb(m.recording_url) end)) as merged
) x
left join leadgraph_private.vapi_call_matches p on p.vapi_call_id = m.vapi_call_id
union all
select 'webhook', c.source_id, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
       null, false, null, null, 'the message names no call (message.call.id)'
from claimed c
where c.resource = 'webhook' and c.vapi_call_id is null
