--! Previous: sha1:320f2f88e51b24dcf3c058271c093ef43ad50486
--! Hash: sha1:cffa0eec57f8754ac4b6189c8d30da0f8a6e6df4
--! Message: VAPI raw layer: calls (latest version by updatedAt, presigned URLs ignored), webhook deliveries, rejects, sync runs, requests, resume points and the normalisation queue

-- VAPI raw layer (issue 11): calls as VAPI's API returns them, webhook
-- deliveries as VAPI sends them, what could not be used and why, sync runs,
-- requests and resume points, and the queue that starts the normaliser.
-- Data flow: VAPI API / webhooks -> vapi_calls_raw, vapi_webhooks_raw (as
-- received) -> leadgraph_private.vapi_pending -> tasks/vapi_raw__normalize.ts
-- -> events, campaign_leads. docs/sources/vapi.md describes the source.

drop trigger if exists _900_enqueue on vapi_sync_requests;
drop trigger if exists _900_pending_insert on vapi_calls_raw;
drop trigger if exists _900_pending_update on vapi_calls_raw;
drop trigger if exists _900_pending_insert on vapi_webhooks_raw;
drop function if exists receive_vapi_webhook(jsonb);
drop function if exists leadgraph_private.store_vapi_calls(jsonb, text);
drop function if exists leadgraph_private.tg_vapi_sync_requests__enqueue();
drop function if exists leadgraph_private.tg_vapi_raw__pending();
drop function if exists leadgraph_private.enqueue_vapi_normalization();
drop function if exists leadgraph_private.enqueue_vapi_sync(uuid, text);
drop function if exists leadgraph_private.vapi_timestamp(text);
drop function if exists leadgraph_rules.vapi_without_presigned(jsonb);
drop table if exists leadgraph_private.vapi_pending;
drop table if exists leadgraph_private.vapi_sync_state;
drop table if exists vapi_rejects;
drop table if exists vapi_sync_requests;
drop table if exists vapi_sync_runs;
drop table if exists vapi_webhooks_raw;
drop table if exists vapi_calls_raw;

------------------------------------------------------------------------------
-- Presigned recording URLs (artifact.presigned*, presignedUrlsExpiresAt) are
-- signed anew on every read: two reads of an unchanged call differ only
-- there. Stripped before comparing versions and deduplicating deliveries.
create function leadgraph_rules.vapi_without_presigned(value jsonb) returns jsonb
  language sql immutable parallel safe
as $$
  select case jsonb_typeof(value)
    when 'object' then coalesce(
      (select jsonb_object_agg(k, leadgraph_rules.vapi_without_presigned(v))
       from jsonb_each(value) as e(k, v)
       where k not ilike 'presigned%'),
      '{}'::jsonb)
    when 'array' then coalesce(
      (select jsonb_agg(leadgraph_rules.vapi_without_presigned(v) order by n)
       from jsonb_array_elements(value) with ordinality as a(v, n)),
      '[]'::jsonb)
    else value
  end
$$;
comment on function leadgraph_rules.vapi_without_presigned(jsonb) is E'A VAPI call or message without its presigned URLs (every key starting with "presigned", at any depth): they change on every read, so they tell nothing about whether the call changed.';

-- VAPI's ISO 8601 timestamps, or its message timestamps in milliseconds.
create function leadgraph_private.vapi_timestamp(value text) returns timestamptz
  language plpgsql immutable parallel safe
as $$
begin
  if value is null or btrim(value) = '' then
    return null;
  elsif value ~ '^[0-9]{10,16}(\.[0-9]+)?$' then
    return to_timestamp(value::numeric / 1000);
  end if;
  return value::timestamptz;
exception when others then
  return null;  -- kept in the raw JSON; the normaliser says why it cannot use it
end;
$$;
comment on function leadgraph_private.vapi_timestamp(text) is E'A VAPI timestamp: ISO 8601 (calls) or milliseconds since the epoch (webhook messages); null when it is neither.';

------------------------------------------------------------------------------
-- Raw: calls (GET /call, GET /call/{id}, and the `call` of webhook messages).
-- One row per call: the latest version by VAPI's updatedAt, exactly as received.
create table vapi_calls_raw (
  vapi_call_id text primary key,
  vapi_created_at timestamptz not null,
  vapi_updated_at timestamptz not null,
  status text,
  ended_reason text,
  customer_number text,
  customer_external_id text,
  assistant_id text,
  phone_number_id text,
  raw_json jsonb not null,
  source text not null check (source in ('api', 'webhook')),
  fetched_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index vapi_calls_raw_updated_idx on vapi_calls_raw (vapi_updated_at desc);
create index vapi_calls_raw_created_idx on vapi_calls_raw (vapi_created_at desc);
create index vapi_calls_raw_external_id_idx on vapi_calls_raw (customer_external_id) where customer_external_id is not null;
-- The sync refreshes calls not yet ended.
create index vapi_calls_raw_open_idx on vapi_calls_raw (vapi_updated_at) where status is distinct from 'ended';
create trigger _100_timestamps before insert or update on vapi_calls_raw
  for each row execute function leadgraph_private.tg__timestamps();
alter table vapi_calls_raw enable row level security;
comment on table vapi_calls_raw is E'@behavior -insert -update -delete\nRaw layer: one row per VAPI call, the latest version by VAPI''s updatedAt, exactly as received from GET /call or a webhook. A read that differs only in presigned URLs stores nothing.';
comment on column vapi_calls_raw.vapi_call_id is E'VAPI''s call id.';
comment on column vapi_calls_raw.vapi_created_at is E'The call''s createdAt.';
comment on column vapi_calls_raw.vapi_updated_at is E'The call''s updatedAt: which version this is.';
comment on column vapi_calls_raw.status is E'scheduled, queued, ringing, in-progress, forwarding, ended, ...';
comment on column vapi_calls_raw.ended_reason is E'Why the call ended (VAPI''s endedReason), once it has.';
comment on column vapi_calls_raw.customer_number is E'The number called (or calling), as VAPI has it.';
comment on column vapi_calls_raw.customer_external_id is E'customer.externalId: for calls leadgraph placed, the campaign membership''s id.';
comment on column vapi_calls_raw.assistant_id is E'The VAPI assistant.';
comment on column vapi_calls_raw.phone_number_id is E'The VAPI phone number.';
comment on column vapi_calls_raw.raw_json is E'The Call object exactly as received (never modified).';
comment on column vapi_calls_raw.source is E'Where the stored version came from: api (the sync, or placing a call) or webhook (a message''s call).';
comment on column vapi_calls_raw.fetched_at is E'When this version was received.';
comment on column vapi_calls_raw.created_at is E'When leadgraph first stored the call.';
comment on column vapi_calls_raw.updated_at is E'When leadgraph last stored a new version.';

-- calls: a JSON array of Call objects. Inserts new calls; replaces a stored
-- one only with a newer version (updatedAt), or the same updatedAt with other
-- content once presigned URLs are set aside. A webhook's copy never replaces
-- the API's version of the same updatedAt.
create function leadgraph_private.store_vapi_calls(calls jsonb, source text) returns table (stored integer, unchanged integer)
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  received integer;
  written integer;
begin
  if source not in ('api', 'webhook') then
    raise exception 'store_vapi_calls: source is api or webhook, not %', source using errcode = '22023';
  end if;
  select count(*) into received from jsonb_array_elements(calls);
  with incoming as (
    -- A page may repeat a call: its newest version.
    select distinct on (c ->> 'id') c
    from jsonb_array_elements(calls) c
    where jsonb_typeof(c) = 'object' and c ->> 'id' is not null
    order by c ->> 'id', leadgraph_private.vapi_timestamp(c ->> 'updatedAt') desc nulls last
  )
  insert into vapi_calls_raw as t (vapi_call_id, vapi_created_at, vapi_updated_at, status, ended_reason, customer_number,
                                   customer_external_id, assistant_id, phone_number_id, raw_json, source, fetched_at)
  select c ->> 'id',
         coalesce(leadgraph_private.vapi_timestamp(c ->> 'createdAt'), leadgraph_private.vapi_timestamp(c ->> 'updatedAt'), now()),
         coalesce(leadgraph_private.vapi_timestamp(c ->> 'updatedAt'), leadgraph_private.vapi_timestamp(c ->> 'createdAt'), now()),
         c ->> 'status', c ->> 'endedReason', c #>> '{customer,number}', c #>> '{customer,externalId}',
         c ->> 'assistantId', c ->> 'phoneNumberId', c, source, now()
  from incoming
  on conflict (vapi_call_id) do update set
    vapi_created_at = excluded.vapi_created_at, vapi_updated_at = excluded.vapi_updated_at, status = excluded.status,
    ended_reason = excluded.ended_reason, customer_number = excluded.customer_number,
    customer_external_id = excluded.customer_external_id, assistant_id = excluded.assistant_id,
    phone_number_id = excluded.phone_number_id, raw_json = excluded.raw_json, source = excluded.source,
    fetched_at = excluded.fetched_at
  where excluded.vapi_updated_at > t.vapi_updated_at
     or (excluded.vapi_updated_at = t.vapi_updated_at
         and not (excluded.source = 'webhook' and t.source = 'api')
         and leadgraph_rules.vapi_without_presigned(excluded.raw_json) is distinct from leadgraph_rules.vapi_without_presigned(t.raw_json));
  get diagnostics written = row_count;
  return query select written, received - written;
end;
$$;
comment on function leadgraph_private.store_vapi_calls(jsonb, text) is E'Stores VAPI Call objects (a JSON array) in vapi_calls_raw: new calls, and newer versions of stored ones; a read that changed only presigned URLs writes nothing. Returns how many were written and how many were not.';

------------------------------------------------------------------------------
-- Raw: webhook deliveries (POST /webhooks/vapi), every message type, as
-- delivered. VAPI sends each message once and does not retry by default, but
-- a retrying server plan or a proxy can repeat one: a repeat counts up.
create table vapi_webhooks_raw (
  id uuid primary key default gen_random_uuid(),
  dedupe_key text not null unique,
  message_type text,
  vapi_call_id text,
  status text,
  ended_reason text,
  message_timestamp timestamptz,
  payload jsonb not null,
  deliveries integer not null default 1 check (deliveries >= 1),
  received_at timestamptz not null default now(),
  last_received_at timestamptz not null default now()
);
create index vapi_webhooks_raw_received_at_idx on vapi_webhooks_raw (received_at desc);
create index vapi_webhooks_raw_call_idx on vapi_webhooks_raw (vapi_call_id, message_timestamp);
create index vapi_webhooks_raw_message_type_idx on vapi_webhooks_raw (message_type);
alter table vapi_webhooks_raw enable row level security;
comment on table vapi_webhooks_raw is E'@behavior -insert -update -delete\nRaw layer: one row per VAPI server message (status-update, end-of-call-report, and every other type, stored and ignored), the body exactly as delivered. A repeated delivery only counts up `deliveries`.';
comment on column vapi_webhooks_raw.dedupe_key is E'What makes a delivery the same message: type, call id, status (or "end" for a report) and timestamp; for other types also the body without presigned URLs.';
comment on column vapi_webhooks_raw.message_type is E'message.type: status-update, end-of-call-report, conversation-update, ...';
comment on column vapi_webhooks_raw.vapi_call_id is E'message.call.id.';
comment on column vapi_webhooks_raw.status is E'status-update: the status it announces.';
comment on column vapi_webhooks_raw.ended_reason is E'message.endedReason (end-of-call-report, and status-update "ended").';
comment on column vapi_webhooks_raw.message_timestamp is E'message.timestamp (milliseconds in VAPI''s messages).';
comment on column vapi_webhooks_raw.payload is E'The JSON body exactly as delivered (never modified).';
comment on column vapi_webhooks_raw.deliveries is E'How many times it was delivered.';
comment on column vapi_webhooks_raw.received_at is E'First delivery.';
comment on column vapi_webhooks_raw.last_received_at is E'Latest delivery.';

create function receive_vapi_webhook(payload jsonb) returns table (id uuid, deliveries integer, message_type text)
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  message jsonb := payload -> 'message';
  kind text;
  call_id text;
  stamp text;
  key_status text;
begin
  if jsonb_typeof(payload) is distinct from 'object' or jsonb_typeof(message) is distinct from 'object' then
    raise exception 'a VAPI server message is a JSON object {"message": {"type": ...}}' using errcode = '22023';
  end if;
  kind := nullif(btrim(message ->> 'type'), '');
  call_id := nullif(btrim(message #>> '{call,id}'), '');
  stamp := message ->> 'timestamp';
  key_status := case kind when 'status-update' then message ->> 'status' when 'end-of-call-report' then 'end' end;
  return query
  insert into vapi_webhooks_raw as w (dedupe_key, message_type, vapi_call_id, status, ended_reason, message_timestamp, payload)
  values (
    md5(concat_ws(E'\x1f', kind, call_id, key_status, stamp,
                  case when key_status is null then md5(leadgraph_rules.vapi_without_presigned(payload)::text) end)),
    kind, call_id, case when kind = 'status-update' then message ->> 'status' end,
    coalesce(message ->> 'endedReason', message #>> '{call,endedReason}'),
    leadgraph_private.vapi_timestamp(stamp),
    payload
  )
  on conflict (dedupe_key) do update set deliveries = w.deliveries + 1, last_received_at = now()
  returning w.id, w.deliveries, w.message_type;
end;
$$;
comment on function receive_vapi_webhook(jsonb) is E'@behavior -queryField -mutationField\nStores one VAPI server message as delivered; a repeated delivery counts up `deliveries`.';
revoke execute on function receive_vapi_webhook(jsonb) from public;
grant execute on function receive_vapi_webhook(jsonb) to leadgraph_visitor;

------------------------------------------------------------------------------
-- Sync runs, requests, resume points, rejects.
create table vapi_sync_runs (
  id uuid primary key default gen_random_uuid(),
  triggered_by text not null check (triggered_by in ('cron', 'cli', 'request')),
  status text not null default 'running'
    check (status in ('running', 'completed', 'completed_with_errors', 'failed', 'interrupted')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  requests_made integer not null default 0 check (requests_made >= 0),
  rate_limited integer not null default 0 check (rate_limited >= 0),
  windows integer not null default 0 check (windows >= 0),
  calls_received integer not null default 0 check (calls_received >= 0),
  calls_stored integer not null default 0 check (calls_stored >= 0),
  calls_rejected integer not null default 0 check (calls_rejected >= 0),
  calls_refreshed integer not null default 0 check (calls_refreshed >= 0),
  error text,
  created_at timestamptz not null default now()
);
create index vapi_sync_runs_started_at_idx on vapi_sync_runs (started_at desc);
create index vapi_sync_runs_status_idx on vapi_sync_runs (status);
alter table vapi_sync_runs enable row level security;
comment on table vapi_sync_runs is E'@behavior -insert -update -delete\nOne run of the VAPI sync: when, how it ended, what it fetched.';
comment on column vapi_sync_runs.triggered_by is E'cron (the worker''s schedule), cli (leadgraph sync vapi) or request (a row in vapi_sync_requests).';
comment on column vapi_sync_runs.status is E'running, completed, completed_with_errors (some calls rejected), failed (error says why), interrupted (its process stopped; the next run resumes).';
comment on column vapi_sync_runs.started_at is E'When the run started.';
comment on column vapi_sync_runs.finished_at is E'When it finished.';
comment on column vapi_sync_runs.requests_made is E'HTTP requests sent to VAPI (retries included).';
comment on column vapi_sync_runs.rate_limited is E'429 answers received.';
comment on column vapi_sync_runs.windows is E'GET /call time windows fetched (GET /call has no cursor: a full page narrows its window).';
comment on column vapi_sync_runs.calls_received is E'Calls VAPI returned.';
comment on column vapi_sync_runs.calls_stored is E'Calls stored as new versions in vapi_calls_raw.';
comment on column vapi_sync_runs.calls_rejected is E'Calls that failed validation (kept in vapi_rejects).';
comment on column vapi_sync_runs.calls_refreshed is E'Calls not yet ended, or ended recently, fetched again one by one (their analysis arrives later).';
comment on column vapi_sync_runs.error is E'Why the run failed, if it did.';
comment on column vapi_sync_runs.created_at is E'When the run was recorded.';

create table vapi_sync_requests (
  id uuid primary key default gen_random_uuid(),
  requested_by uuid default current_user_id() references users (id) on delete set null,
  triggered_by text not null default 'request' check (triggered_by in ('request', 'cli')),
  run_id uuid references vapi_sync_runs (id) on delete set null,
  requested_at timestamptz not null default now()
);
create index vapi_sync_requests_requested_by_idx on vapi_sync_requests (requested_by);
create index vapi_sync_requests_run_id_idx on vapi_sync_requests (run_id);
alter table vapi_sync_requests enable row level security;
comment on table vapi_sync_requests is E'@behavior -update -delete\nA request for a VAPI sync: inserting one (createVapiSyncRequest) starts a sync, or joins the one already running.';
comment on constraint vapi_sync_requests_run_id_fkey on vapi_sync_requests is E'@fieldName run\n@foreignFieldName requests';
comment on constraint vapi_sync_requests_requested_by_fkey on vapi_sync_requests is E'@fieldName requester\n@foreignFieldName vapiSyncRequests';
comment on column vapi_sync_requests.requested_by is E'Who asked (from the token).';
comment on column vapi_sync_requests.triggered_by is E'request (GraphQL or SQL) or cli (leadgraph sync vapi).';
comment on column vapi_sync_requests.run_id is E'The run that served the request (set when the job starts).';
comment on column vapi_sync_requests.requested_at is E'When it was asked for.';

create table vapi_rejects (
  id uuid primary key default gen_random_uuid(),
  run_id uuid references vapi_sync_runs (id) on delete set null,
  stage text not null check (stage in ('fetch', 'normalize')),
  resource text not null check (resource in ('call', 'webhook')),
  source_id text not null,
  reason text not null,
  raw_json jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vapi_rejects_source_key unique (stage, resource, source_id)
);
create index vapi_rejects_run_id_idx on vapi_rejects (run_id);
create trigger _100_timestamps before insert or update on vapi_rejects
  for each row execute function leadgraph_private.tg__timestamps();
alter table vapi_rejects enable row level security;
comment on table vapi_rejects is E'@behavior -insert -update -delete\nVAPI records leadgraph could not use, with the reason: at fetch (not a call) or at normalisation (e.g. a number that is no lead''s).';
comment on constraint vapi_rejects_run_id_fkey on vapi_rejects is E'@fieldName run\n@foreignFieldName rejects';
comment on column vapi_rejects.run_id is E'The sync run that fetched it (fetch stage).';
comment on column vapi_rejects.stage is E'fetch (failed validation; not in the raw layer) or normalize (in the raw layer, not in the normalised one).';
comment on column vapi_rejects.resource is E'call or webhook.';
comment on column vapi_rejects.source_id is E'VAPI''s call id, or the webhook row''s id (a hash of the record when it has neither).';
comment on column vapi_rejects.reason is E'Why it was not used.';
comment on column vapi_rejects.raw_json is E'The record as received.';
comment on column vapi_rejects.created_at is E'When it was first rejected.';
comment on column vapi_rejects.updated_at is E'When it was last rejected.';

-- Where the sync resumes (plumbing: not in the API).
create table leadgraph_private.vapi_sync_state (
  scope text primary key default '',
  watermark timestamptz,
  pass_started_at timestamptz,
  pass_upper timestamptz,
  backfill_before timestamptz,
  backfill_done boolean not null default false,
  updated_at timestamptz not null default now()
);
comment on table leadgraph_private.vapi_sync_state is E'Where the VAPI sync resumes: the watermark of the last complete pass, and the window of the pass under way.';
comment on column leadgraph_private.vapi_sync_state.scope is E'What the state is of ('''' for the whole organisation; a filter such as an assistant id otherwise).';
comment on column leadgraph_private.vapi_sync_state.watermark is E'The newest updatedAt stored by the last complete pass; the next pass asks from there (minus an overlap).';
comment on column leadgraph_private.vapi_sync_state.pass_started_at is E'When the pass under way started; null when none is.';
comment on column leadgraph_private.vapi_sync_state.pass_upper is E'The upper end of the window the pass under way is narrowing (a killed sync resumes there).';
comment on column leadgraph_private.vapi_sync_state.backfill_before is E'The oldest createdAt the backfill has reached.';
comment on column leadgraph_private.vapi_sync_state.backfill_done is E'Whether the backfill reached the beginning.';
comment on column leadgraph_private.vapi_sync_state.updated_at is E'When it last moved.';

-- Raw rows waiting for normalisation ("done" is the absence of a row here).
create table leadgraph_private.vapi_pending (
  resource text not null check (resource in ('call', 'webhook')),
  source_id text not null,
  queued_at timestamptz not null default now(),
  primary key (resource, source_id)
);
comment on table leadgraph_private.vapi_pending is E'VAPI raw rows waiting for normalisation (new or changed since it last ran).';
comment on column leadgraph_private.vapi_pending.resource is E'call (vapi_calls_raw) or webhook (vapi_webhooks_raw).';
comment on column leadgraph_private.vapi_pending.source_id is E'The raw row''s key: VAPI call id, or webhook row id.';
comment on column leadgraph_private.vapi_pending.queued_at is E'When it was queued.';

------------------------------------------------------------------------------
-- Starting the work (plpgsql: graphile_worker is installed after our migrations).
create function leadgraph_private.enqueue_vapi_normalization() returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform graphile_worker.add_job(
    identifier => 'vapi_raw__normalize',
    job_key => 'vapi_raw__normalize',
    job_key_mode => 'preserve_run_at'
  );
end;
$$;
comment on function leadgraph_private.enqueue_vapi_normalization() is E'Schedules the normalisation of VAPI raw rows waiting in vapi_pending.';

create function leadgraph_private.tg_vapi_raw__pending() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if TG_TABLE_NAME = 'vapi_calls_raw' then
    insert into leadgraph_private.vapi_pending (resource, source_id) select 'call', vapi_call_id from new_rows
      on conflict (resource, source_id) do update set queued_at = excluded.queued_at;
  else
    -- Only the two message types the normaliser reads; the rest is kept, not queued.
    insert into leadgraph_private.vapi_pending (resource, source_id)
      select 'webhook', id::text from new_rows where message_type in ('status-update', 'end-of-call-report')
      on conflict (resource, source_id) do update set queued_at = excluded.queued_at;
  end if;
  if found then
    perform leadgraph_private.enqueue_vapi_normalization();
  end if;
  return null;
end;
$$;
comment on function leadgraph_private.tg_vapi_raw__pending() is E'Trigger function: queues new or changed VAPI raw rows for normalisation and schedules the normaliser.';

create trigger _900_pending_insert after insert on vapi_calls_raw referencing new table as new_rows
  for each statement execute function leadgraph_private.tg_vapi_raw__pending();
create trigger _900_pending_update after update on vapi_calls_raw referencing new table as new_rows
  for each statement execute function leadgraph_private.tg_vapi_raw__pending();
create trigger _900_pending_insert after insert on vapi_webhooks_raw referencing new table as new_rows
  for each statement execute function leadgraph_private.tg_vapi_raw__pending();

create function leadgraph_private.enqueue_vapi_sync(request_id uuid, triggered_by text) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform graphile_worker.add_job(
    identifier => 'vapi_sync',
    payload => json_build_object('requestId', request_id, 'triggeredBy', triggered_by),
    job_key => 'vapi_sync',
    job_key_mode => 'preserve_run_at',
    max_attempts => 3
  );
end;
$$;
comment on function leadgraph_private.enqueue_vapi_sync(uuid, text) is E'Schedules a VAPI sync.';

create function leadgraph_private.tg_vapi_sync_requests__enqueue() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform leadgraph_private.enqueue_vapi_sync(NEW.id, NEW.triggered_by);
  return null;
end;
$$;
comment on function leadgraph_private.tg_vapi_sync_requests__enqueue() is E'Trigger function: a sync request starts a VAPI sync.';
create trigger _900_enqueue after insert on vapi_sync_requests
  for each row execute function leadgraph_private.tg_vapi_sync_requests__enqueue();

------------------------------------------------------------------------------
-- GraphQL access: everyone reads the raw layer and the sync's records; anyone may ask for a sync.
grant select on vapi_calls_raw, vapi_webhooks_raw, vapi_sync_runs, vapi_sync_requests, vapi_rejects to leadgraph_visitor;
grant insert (id) on vapi_sync_requests to leadgraph_visitor;
create policy select_all on vapi_calls_raw for select using (true);
create policy select_all on vapi_webhooks_raw for select using (true);
create policy select_all on vapi_sync_runs for select using (true);
create policy select_all on vapi_sync_requests for select using (true);
create policy insert_own on vapi_sync_requests for insert with check (requested_by = current_user_id());
create policy select_all on vapi_rejects for select using (true);
