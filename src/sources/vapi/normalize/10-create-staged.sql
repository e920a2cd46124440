-- One row per call of the batch (or per webhook delivery that names no call):
-- what every version and message of the call says, merged.
create temp table staged (
  resource text not null,            -- call | webhook (what a reject is filed under)
  source_id text not null,           -- the call id; a webhook row's id when it names no call
  vapi_call_id text,
  ended_reason text,
  started_at timestamptz,
  ended_at timestamptz,
  vapi_created_at timestamptz,
  summary text,
  success_evaluation text,
  structured_data jsonb,
  transcript text,
  recording_url text,
  customer_number text,
  external_id text,
  vapi_campaign_id text,
  raw_data jsonb,
  event_type text,                   -- null while the call has not ended
  call_outcome text,
  duration_seconds integer,
  do_not_call boolean not null default false,
  previous_lead_id uuid,             -- the lead an earlier run matched
  previous_campaign_lead_id uuid,
  lead_id uuid,
  campaign_id uuid,
  campaign_lead_id uuid,
  matched_by text,
  reject_reason text
) on commit drop
