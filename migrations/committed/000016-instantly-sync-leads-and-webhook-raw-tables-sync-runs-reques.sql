--! Previous: sha1:b6adaa350c0fee1588e588677aecda75a7f881b2
--! Hash: sha1:a706f4833a6e7aaa2eea82088953939c7dcebe08
--! Message: Instantly sync: leads and webhook raw tables, sync runs, requests, rejects, resume points, the normalisation queue and its triggers

-- Instantly sync: what the sync stores besides the four seed raw tables
-- (leads, webhook deliveries, runs, rejects, resume points), the queue of raw
-- rows waiting for normalisation, and the triggers that start the work.
-- Data flow: Instantly API / webhook -> instantly_*_raw (as received) ->
-- instantly_pending -> tasks/instantly_raw__normalize.ts -> campaigns,
-- leads, companies, campaign_leads, events.

drop trigger if exists _900_enqueue on instantly_sync_requests;
drop trigger if exists _900_pending_insert on instantly_campaigns_raw;
drop trigger if exists _900_pending_update on instantly_campaigns_raw;
drop trigger if exists _900_pending_insert on instantly_emails_raw;
drop trigger if exists _900_pending_update on instantly_emails_raw;
drop trigger if exists _900_pending_insert on instantly_leads_raw;
drop trigger if exists _900_pending_update on instantly_leads_raw;
drop trigger if exists _900_pending_insert on instantly_webhooks_raw;
drop function if exists receive_instantly_webhook(jsonb);
drop function if exists tg_instantly_sync_requests__enqueue();
drop function if exists tg_instantly_raw__pending();
drop function if exists enqueue_instantly_normalization();
drop function if exists enqueue_instantly_sync(uuid, text);
drop function if exists instantly_step_number(text);
drop function if exists instantly_interest_status(text);
drop index if exists events_instantly_email_id_key;
drop table if exists instantly_pending;
drop table if exists instantly_sync_state;
drop table if exists instantly_rejects;
drop table if exists instantly_sync_run_resources;
drop table if exists instantly_sync_requests;
drop table if exists instantly_sync_runs;
drop table if exists instantly_webhooks_raw;
drop table if exists instantly_leads_raw;

------------------------------------------------------------------------------
-- Raw: leads (POST /api/v2/leads/list), for matching emails to people.
create table instantly_leads_raw (
  instantly_lead_id text primary key,
  instantly_campaign_id text,
  email text,
  raw_json jsonb not null,
  synced_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index instantly_leads_raw_email_idx on instantly_leads_raw (email);
create index instantly_leads_raw_campaign_idx on instantly_leads_raw (instantly_campaign_id);
create trigger _100_timestamps before insert or update on instantly_leads_raw
  for each row execute function tg__timestamps();
alter table instantly_leads_raw enable row level security;
comment on table instantly_leads_raw is E'@behavior -insert -update -delete\nRaw layer: one row per Instantly lead (a person in one campaign), from POST /api/v2/leads/list, kept as received. Gives names, company and interest status to the people emails are sent to.';
comment on column instantly_leads_raw.instantly_lead_id is E'Instantly''s lead id.';
comment on column instantly_leads_raw.instantly_campaign_id is E'The campaign the lead is in (Instantly''s `campaign`).';
comment on column instantly_leads_raw.email is E'The lead''s email, lower-case.';
comment on column instantly_leads_raw.raw_json is E'The API object exactly as received (never modified).';
comment on column instantly_leads_raw.synced_at is E'When the sync last fetched a changed version of this lead.';
comment on column instantly_leads_raw.created_at is E'When leadgraph first stored this lead.';
comment on column instantly_leads_raw.updated_at is E'When leadgraph last stored a new version of it.';

------------------------------------------------------------------------------
-- Raw: webhook deliveries (POST /webhooks/instantly). Instantly's payloads
-- carry no event id, and it retries deliveries, so one delivery is recognised
-- by (event_type, email_id or lead_email, timestamp, campaign_id); repeats
-- only count up.
create table instantly_webhooks_raw (
  id uuid primary key default gen_random_uuid(),
  dedupe_key text not null unique,
  event_type text,
  lead_email text,
  instantly_campaign_id text,
  instantly_email_id text,
  event_timestamp timestamptz,
  payload jsonb not null,
  deliveries integer not null default 1 check (deliveries >= 1),
  received_at timestamptz not null default now(),
  last_received_at timestamptz not null default now()
);
create index instantly_webhooks_raw_received_at_idx on instantly_webhooks_raw (received_at desc);
create index instantly_webhooks_raw_event_type_idx on instantly_webhooks_raw (event_type);
create index instantly_webhooks_raw_lead_email_idx on instantly_webhooks_raw (lead_email);
alter table instantly_webhooks_raw enable row level security;
comment on table instantly_webhooks_raw is E'@behavior -insert -update -delete\nRaw layer: one row per Instantly webhook event, the payload exactly as delivered. A repeated delivery of the same event only counts up `deliveries`.';
comment on column instantly_webhooks_raw.dedupe_key is E'What makes a delivery the same event: event_type, email_id (else lead_email), timestamp and campaign_id (Instantly sends no event id).';
comment on column instantly_webhooks_raw.event_type is E'The payload''s event_type as delivered (link_clicked, reply_received, auto_reply_received, lead_interested, a custom label, ...).';
comment on column instantly_webhooks_raw.lead_email is E'The payload''s lead_email, lower-case.';
comment on column instantly_webhooks_raw.instantly_campaign_id is E'The payload''s campaign_id.';
comment on column instantly_webhooks_raw.instantly_email_id is E'The payload''s email_id (sent and reply events): the same id GET /emails has.';
comment on column instantly_webhooks_raw.event_timestamp is E'The payload''s timestamp.';
comment on column instantly_webhooks_raw.payload is E'The JSON body exactly as delivered (never modified).';
comment on column instantly_webhooks_raw.deliveries is E'How many times Instantly delivered this event.';
comment on column instantly_webhooks_raw.received_at is E'First delivery.';
comment on column instantly_webhooks_raw.last_received_at is E'Latest delivery.';

------------------------------------------------------------------------------
-- Sync runs: one row per run of tasks/instantly_sync.ts, and one row per
-- resource it fanned out to (campaigns, accounts, daily_analytics, emails, leads).
create table instantly_sync_runs (
  id uuid primary key default gen_random_uuid(),
  triggered_by text not null check (triggered_by in ('cron', 'cli', 'request')),
  status text not null default 'running'
    check (status in ('running', 'completed', 'completed_with_errors', 'failed', 'interrupted')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  requests_made integer not null default 0 check (requests_made >= 0),
  rate_limited integer not null default 0 check (rate_limited >= 0),
  error text,
  created_at timestamptz not null default now()
);
create index instantly_sync_runs_started_at_idx on instantly_sync_runs (started_at desc);
create index instantly_sync_runs_status_idx on instantly_sync_runs (status);
alter table instantly_sync_runs enable row level security;
comment on table instantly_sync_runs is E'@behavior -insert -update -delete\nOne run of the Instantly sync: when, how it ended, how many API requests it made; its resources say what each part fetched.';
comment on column instantly_sync_runs.triggered_by is E'What started it: cron (the worker''s schedule), cli (leadgraph sync instantly), request (a row in instantly_sync_requests).';
comment on column instantly_sync_runs.status is E'running, completed, completed_with_errors (some records rejected), failed (a resource failed; error says why), interrupted (its process stopped; the next run resumes).';
comment on column instantly_sync_runs.started_at is E'When the run started.';
comment on column instantly_sync_runs.finished_at is E'When its last resource finished.';
comment on column instantly_sync_runs.requests_made is E'HTTP requests sent to Instantly (retries included).';
comment on column instantly_sync_runs.rate_limited is E'429 answers received from Instantly.';
comment on column instantly_sync_runs.error is E'Why the run failed, if it did.';
comment on column instantly_sync_runs.created_at is E'When the run was recorded.';

create table instantly_sync_run_resources (
  run_id uuid not null references instantly_sync_runs (id) on delete cascade,
  resource text not null check (resource in ('campaigns', 'accounts', 'daily_analytics', 'emails', 'leads')),
  status text not null default 'pending'
    check (status in ('pending', 'running', 'completed', 'completed_with_errors', 'failed', 'interrupted')),
  requests_made integer not null default 0 check (requests_made >= 0),
  rate_limited integer not null default 0 check (rate_limited >= 0),
  rows_received integer not null default 0 check (rows_received >= 0),
  rows_stored integer not null default 0 check (rows_stored >= 0),
  rows_rejected integer not null default 0 check (rows_rejected >= 0),
  error text,
  started_at timestamptz,
  finished_at timestamptz,
  primary key (run_id, resource)
);
alter table instantly_sync_run_resources enable row level security;
comment on table instantly_sync_run_resources is E'@behavior -insert -update -delete\nWhat one part of a sync run did: campaigns, accounts, daily_analytics, emails or leads.';
comment on constraint instantly_sync_run_resources_run_id_fkey on instantly_sync_run_resources is E'@fieldName run\n@foreignFieldName resources';
comment on column instantly_sync_run_resources.run_id is E'The run.';
comment on column instantly_sync_run_resources.resource is E'campaigns (with their analytics), accounts, daily_analytics (per campaign and workspace totals), emails, leads.';
comment on column instantly_sync_run_resources.status is E'pending, running, completed, completed_with_errors (some records rejected), failed, interrupted.';
comment on column instantly_sync_run_resources.requests_made is E'HTTP requests sent for this resource (retries included).';
comment on column instantly_sync_run_resources.rate_limited is E'429 answers received for this resource.';
comment on column instantly_sync_run_resources.rows_received is E'Records Instantly sent.';
comment on column instantly_sync_run_resources.rows_stored is E'Records stored in the raw layer (new or changed or unchanged).';
comment on column instantly_sync_run_resources.rows_rejected is E'Records that failed validation (kept in instantly_rejects).';
comment on column instantly_sync_run_resources.error is E'Why this resource failed, if it did.';
comment on column instantly_sync_run_resources.started_at is E'When this resource started.';
comment on column instantly_sync_run_resources.finished_at is E'When it finished.';

-- Asking for a sync from GraphQL or SQL: insert a row; the trigger enqueues
-- the job, which records the run it started (or joined) here.
create table instantly_sync_requests (
  id uuid primary key default gen_random_uuid(),
  requested_by uuid default current_user_id() references users (id) on delete set null,
  triggered_by text not null default 'request' check (triggered_by in ('request', 'cli')),
  run_id uuid references instantly_sync_runs (id) on delete set null,
  requested_at timestamptz not null default now()
);
create index instantly_sync_requests_requested_by_idx on instantly_sync_requests (requested_by);
create index instantly_sync_requests_run_id_idx on instantly_sync_requests (run_id);
alter table instantly_sync_requests enable row level security;
comment on table instantly_sync_requests is E'@behavior -update -delete\nA request for an Instantly sync: inserting one (createInstantlySyncRequest) starts a sync, or joins the one already running.';
comment on constraint instantly_sync_requests_run_id_fkey on instantly_sync_requests is E'@fieldName run\n@foreignFieldName requests';
comment on constraint instantly_sync_requests_requested_by_fkey on instantly_sync_requests is E'@fieldName requester\n@foreignFieldName instantlySyncRequests';
comment on column instantly_sync_requests.requested_by is E'Who asked (from the token).';
comment on column instantly_sync_requests.triggered_by is E'request (GraphQL or SQL) or cli (leadgraph sync instantly).';
comment on column instantly_sync_requests.run_id is E'The run that served the request (set when the job starts).';
comment on column instantly_sync_requests.requested_at is E'When it was asked for.';

-- Records we could not use, with the reason: failed validation when fetched
-- (stage fetch), or could not be turned into normalised rows (stage normalize).
create table instantly_rejects (
  id uuid primary key default gen_random_uuid(),
  run_id uuid references instantly_sync_runs (id) on delete set null,
  stage text not null check (stage in ('fetch', 'normalize')),
  resource text not null,
  source_id text not null,
  reason text not null,
  raw_json jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint instantly_rejects_source_key unique (stage, resource, source_id)
);
create index instantly_rejects_run_id_idx on instantly_rejects (run_id);
create trigger _100_timestamps before insert or update on instantly_rejects
  for each row execute function tg__timestamps();
alter table instantly_rejects enable row level security;
comment on table instantly_rejects is E'@behavior -insert -update -delete\nInstantly records leadgraph could not use, kept with the reason: at fetch (a field of the wrong type) or at normalisation (e.g. an email without a lead address).';
comment on constraint instantly_rejects_run_id_fkey on instantly_rejects is E'@fieldName run\n@foreignFieldName rejects';
comment on column instantly_rejects.run_id is E'The sync run that fetched it (fetch stage).';
comment on column instantly_rejects.stage is E'fetch (failed validation; not in the raw layer) or normalize (in the raw layer, not in the normalised one).';
comment on column instantly_rejects.resource is E'campaign, campaign_analytics, daily_analytics, account, email, lead or webhook.';
comment on column instantly_rejects.source_id is E'Instantly''s id of the record (or a hash of it when it has none).';
comment on column instantly_rejects.reason is E'Why it was not used.';
comment on column instantly_rejects.raw_json is E'The record as received.';
comment on column instantly_rejects.created_at is E'When it was first rejected.';
comment on column instantly_rejects.updated_at is E'When it was last rejected.';

-- Where each paginated fetch resumes: the cursor of the page being fetched
-- (a killed sync continues there) and, for emails, the newest
-- timestamp_created of the last complete pass (the next pass starts there).
create table instantly_sync_state (
  resource text not null,
  scope text not null default '',
  cursor text,
  pass_started_at timestamptz,
  pass_newest text,
  watermark text,
  fingerprint text,
  updated_at timestamptz not null default now(),
  primary key (resource, scope)
);
alter table instantly_sync_state enable row level security;
comment on table instantly_sync_state is E'@behavior -insert -update -delete\nWhere the Instantly sync resumes: per resource and campaign, the cursor of the pass under way and the high-water mark of the last complete one.';
comment on column instantly_sync_state.resource is E'emails or leads.';
comment on column instantly_sync_state.scope is E'The Instantly campaign id.';
comment on column instantly_sync_state.cursor is E'starting_after of the next page of the pass under way; null when no pass is under way.';
comment on column instantly_sync_state.pass_started_at is E'When the pass under way started.';
comment on column instantly_sync_state.pass_newest is E'emails: the newest timestamp_created seen by the pass under way (the next watermark).';
comment on column instantly_sync_state.fingerprint is E'The campaign''s analytics counters when the last pass completed: an unchanged campaign is not fetched again.';
comment on column instantly_sync_state.watermark is E'emails: the newest timestamp_created stored by the last complete pass; the next pass asks for min_timestamp_created from there.';
comment on column instantly_sync_state.updated_at is E'When it last moved.';

-- Raw rows waiting for normalisation. Raw tables are never updated by
-- normalisation, so "done" is the absence of a row here; the normaliser
-- deletes a claimed row in the same transaction that writes its results.
create table instantly_pending (
  resource text not null check (resource in ('campaign', 'lead', 'email', 'webhook')),
  source_id text not null,
  queued_at timestamptz not null default now(),
  primary key (resource, source_id)
);
alter table instantly_pending enable row level security;
comment on table instantly_pending is E'@behavior -insert -update -delete\nInstantly raw rows waiting for normalisation (new or changed since it last ran).';
comment on column instantly_pending.resource is E'campaign, lead, email or webhook.';
comment on column instantly_pending.source_id is E'The raw row''s key (Instantly campaign/lead/email id, webhook row id).';
comment on column instantly_pending.queued_at is E'When it was queued.';

------------------------------------------------------------------------------
-- One email or webhook is one event: the same Instantly email id never
-- appears on two events.
drop index if exists events_instantly_email_id_idx;
create unique index events_instantly_email_id_key on events (instantly_email_id) where instantly_email_id is not null;
-- Webhook events that are an email but came without its id, waiting for the
-- sync's copy of the email to be matched to them (by lead, type and time).
drop index if exists events_unmatched_instantly_idx;
create index events_unmatched_instantly_idx on events (lead_id, event_type, event_timestamp)
  where instantly_email_id is null and event_source = 'instantly';

------------------------------------------------------------------------------
-- Starting the work. (plpgsql: the bodies refer to graphile_worker, which is
-- installed after our migrations.)

-- The normaliser drains instantly_pending; job_key keeps at most one job
-- waiting, and the task itself takes an advisory lock so that only one runs
-- at a time. (Not a named queue: a worker killed mid-job would hold the queue
-- for graphile-worker's 4-hour lock timeout; an advisory lock dies with it.)
create function enqueue_instantly_normalization() returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform graphile_worker.add_job(
    identifier => 'instantly_raw__normalize',
    job_key => 'instantly_raw__normalize',
    job_key_mode => 'preserve_run_at'
  );
end;
$$;
comment on function enqueue_instantly_normalization() is E'@behavior -queryField -mutationField\nSchedules the normalisation of Instantly raw rows waiting in instantly_pending.';
revoke execute on function enqueue_instantly_normalization() from public;

create function tg_instantly_raw__pending() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if TG_TABLE_NAME = 'instantly_campaigns_raw' then
    insert into instantly_pending (resource, source_id) select 'campaign', instantly_campaign_id from new_rows
      on conflict (resource, source_id) do update set queued_at = excluded.queued_at;
  elsif TG_TABLE_NAME = 'instantly_emails_raw' then
    insert into instantly_pending (resource, source_id) select 'email', instantly_email_id from new_rows
      on conflict (resource, source_id) do update set queued_at = excluded.queued_at;
  elsif TG_TABLE_NAME = 'instantly_leads_raw' then
    insert into instantly_pending (resource, source_id) select 'lead', instantly_lead_id from new_rows
      on conflict (resource, source_id) do update set queued_at = excluded.queued_at;
  elsif TG_TABLE_NAME = 'instantly_webhooks_raw' then
    insert into instantly_pending (resource, source_id) select 'webhook', id::text from new_rows
      on conflict (resource, source_id) do update set queued_at = excluded.queued_at;
  end if;
  if found then
    perform enqueue_instantly_normalization();
  end if;
  return null;
end;
$$;
-- (on conflict do update, not do nothing: it waits for a normaliser that has
-- claimed the row to commit, so a row changed meanwhile is queued again.)
comment on function tg_instantly_raw__pending() is E'Trigger function: queues new or changed Instantly raw rows for normalisation and schedules the normaliser.';

create trigger _900_pending_insert after insert on instantly_campaigns_raw referencing new table as new_rows
  for each statement execute function tg_instantly_raw__pending();
create trigger _900_pending_update after update on instantly_campaigns_raw referencing new table as new_rows
  for each statement execute function tg_instantly_raw__pending();
create trigger _900_pending_insert after insert on instantly_emails_raw referencing new table as new_rows
  for each statement execute function tg_instantly_raw__pending();
create trigger _900_pending_update after update on instantly_emails_raw referencing new table as new_rows
  for each statement execute function tg_instantly_raw__pending();
create trigger _900_pending_insert after insert on instantly_leads_raw referencing new table as new_rows
  for each statement execute function tg_instantly_raw__pending();
create trigger _900_pending_update after update on instantly_leads_raw referencing new table as new_rows
  for each statement execute function tg_instantly_raw__pending();
create trigger _900_pending_insert after insert on instantly_webhooks_raw referencing new table as new_rows
  for each statement execute function tg_instantly_raw__pending();

-- One sync of the workspace at a time: job_key keeps one waiting; the task
-- joins a run already under way instead of starting a second.
create function enqueue_instantly_sync(request_id uuid, triggered_by text) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform graphile_worker.add_job(
    identifier => 'instantly_sync',
    payload => json_build_object('requestId', request_id, 'triggeredBy', triggered_by),
    job_key => 'instantly_sync',
    job_key_mode => 'preserve_run_at',
    max_attempts => 3
  );
end;
$$;
comment on function enqueue_instantly_sync(uuid, text) is E'@behavior -queryField -mutationField\nSchedules an Instantly sync.';
revoke execute on function enqueue_instantly_sync(uuid, text) from public;

create function tg_instantly_sync_requests__enqueue() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform enqueue_instantly_sync(NEW.id, NEW.triggered_by);
  return null;
end;
$$;
comment on function tg_instantly_sync_requests__enqueue() is E'Trigger function: a sync request starts a sync.';
create trigger _900_enqueue after insert on instantly_sync_requests
  for each row execute function tg_instantly_sync_requests__enqueue();

-- A webhook delivery, stored as received (POST /webhooks/instantly calls this
-- after checking the shared secret). A repeat of an event already stored only
-- counts up its deliveries.
create function receive_instantly_webhook(payload jsonb) returns table (id uuid, deliveries integer)
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  event_type text := nullif(btrim(payload ->> 'event_type'), '');
  lead_email text := nullif(lower(btrim(coalesce(payload ->> 'lead_email', payload ->> 'email'))), '');
  email_id text := nullif(btrim(payload ->> 'email_id'), '');
  stamp text := payload ->> 'timestamp';
  stamped timestamptz;
begin
  begin
    stamped := stamp::timestamptz;
  exception when others then
    stamped := null;  -- a malformed timestamp is kept in the payload, not refused
  end;
  if jsonb_typeof(payload) is distinct from 'object' then
    raise exception 'an Instantly webhook payload is a JSON object' using errcode = '22023';
  end if;
  return query
  insert into instantly_webhooks_raw as w (dedupe_key, event_type, lead_email, instantly_campaign_id, instantly_email_id, event_timestamp, payload)
  values (
    md5(concat_ws(E'\x1f', event_type, coalesce(email_id, lead_email), stamp, payload ->> 'campaign_id')),
    event_type, lead_email, nullif(payload ->> 'campaign_id', ''), email_id,
    stamped,
    payload
  )
  on conflict (dedupe_key) do update set deliveries = w.deliveries + 1, last_received_at = now()
  returning w.id, w.deliveries;
end;
$$;
comment on function receive_instantly_webhook(jsonb) is E'@behavior -queryField -mutationField\nStores one Instantly webhook delivery as received; a repeated delivery counts up `deliveries`.';
revoke execute on function receive_instantly_webhook(jsonb) from public;
grant execute on function receive_instantly_webhook(jsonb) to leadgraph_visitor;

------------------------------------------------------------------------------
-- Helpers the normaliser uses.

-- Instantly numbers steps two ways: GET /emails `step` "0_1_0" (sequence,
-- step, variant; 0-based) and webhooks `step` 1 (1-based). Ours are 1-based.
create function instantly_step_number(step text) returns integer
  language sql immutable parallel safe
as $$
  select case
    when step ~ '^[0-9]+_[0-9]+(_[0-9]+)?$' then split_part(step, '_', 2)::integer + 1
    when step ~ '^[0-9]{1,6}$' and step::integer >= 1 then step::integer
  end
$$;
comment on function instantly_step_number(text) is E'@behavior -queryField\nOur 1-based sequence step from Instantly''s: "0_1_0" (GET /emails, 0-based) -> 2; "2" (webhook, 1-based) -> 2.';

-- Interest: Instantly's i_status / lt_interest_status codes and lead_* webhook
-- events -> campaign_leads.overall_status (null: no change).
create function instantly_interest_status(code text) returns text
  language sql immutable parallel safe
as $$
  select case code
    when '1' then 'interested' when 'lead_interested' then 'interested'
    when '2' then 'meeting_booked' when 'lead_meeting_booked' then 'meeting_booked'
    when '3' then 'meeting_booked' when 'lead_meeting_completed' then 'meeting_booked'
    when '4' then 'converted' when 'lead_closed' then 'converted'
    when '-1' then 'not_interested' when 'lead_not_interested' then 'not_interested'
    when '-2' then 'disqualified' when 'lead_wrong_person' then 'disqualified'
    when '-3' then 'not_interested'
  end
$$;
comment on function instantly_interest_status(text) is E'@behavior -queryField\nThe overall_status an Instantly interest status means: 1 interested, 2/3 meeting_booked, 4 converted (won), -1/-3 not_interested, -2 disqualified (wrong person); also the lead_* webhook event names. Out of office (0), no show (-4) and custom labels: null (no change).';

------------------------------------------------------------------------------
-- GraphQL access: everyone reads the sync's records; anyone may ask for a sync.
grant select on instantly_leads_raw, instantly_webhooks_raw, instantly_sync_runs, instantly_sync_run_resources,
  instantly_sync_requests, instantly_rejects, instantly_sync_state, instantly_pending to leadgraph_visitor;
grant insert (id) on instantly_sync_requests to leadgraph_visitor;
create policy select_all on instantly_leads_raw for select using (true);
create policy select_all on instantly_webhooks_raw for select using (true);
create policy select_all on instantly_sync_runs for select using (true);
create policy select_all on instantly_sync_run_resources for select using (true);
create policy select_all on instantly_sync_requests for select using (true);
create policy insert_own on instantly_sync_requests for insert with check (requested_by = current_user_id());
create policy select_all on instantly_rejects for select using (true);
create policy select_all on instantly_sync_state for select using (true);
create policy select_all on instantly_pending for select using (true);
grant execute on function instantly_step_number(text), instantly_interest_status(text) to leadgraph_visitor;
