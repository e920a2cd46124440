--! Previous: sha1:389ad795242b41388e4df96f0bde4bd9ed170684
--! Hash: sha1:291d22d72660e2122b39d252eef3f92b5f283d21
--! Message: VAPI call workflow: campaign call settings (call_after, assistant, phone number, call hours and days), the vapi_call_requests outbox, calls_due(), queue_call(), cancel_call_request(), log_call(), call rules

-- The workflow "email -> no reply -> call" (issue 11, part 3): a campaign
-- that uses calls says how long after its last email a lead without a reply
-- gets a call, with which VAPI assistant and phone number, and in which local
-- hours; the due memberships are one SQL definition (calls_due()); the calls
-- to place are an outbox (vapi_call_requests) that a job drains with
-- POST /call (tasks/vapi_call_requests__place.ts). A user may queue a call by
-- hand (queue_call) and log a call made by phone (log_call).
-- docs/sources/vapi-calls.md describes the workflow.
--
-- Decisions where the seed and VAPI are silent:
-- - Call hours are in the campaign's time zone: the lead's own is unknown in
--   our data (leads have a country, city and state, not a time zone).
-- - "After the last email": the newest email_sent event of the membership, or
--   email_sent_at (the first email) when the timeline has none.
-- - VAPI wants E.164. A number is callable when it is written with its
--   country code (+..., or 00...); leadgraph does not guess a country for a
--   national number.
-- - A campaign without a VAPI assistant and phone number has no due calls:
--   a call could not be placed, and the workflow queues a membership once.

drop trigger if exists _900_enqueue on vapi_call_requests;
drop trigger if exists _100_timestamps on vapi_call_requests;
drop function if exists leadgraph_private.tg_vapi_call_requests__enqueue();
drop function if exists leadgraph_private.enqueue_vapi_call_placement(timestamptz);
drop function if exists cancel_call_request(uuid);
drop function if exists log_call(uuid, text, integer, text, uuid);
drop function if exists queue_call(uuid, uuid);
drop function if exists calls_due();
drop table if exists vapi_call_requests;
drop function if exists leadgraph_rules.call_window_end(timestamptz, text, time);
drop function if exists leadgraph_rules.next_call_time(timestamptz, text, time, time, smallint[]);
drop function if exists leadgraph_rules.call_status_of_outcome(text);
drop function if exists leadgraph_rules.call_status_rank(text);
drop function if exists leadgraph_rules.call_number(text, text, text[]);
drop function if exists leadgraph_rules.e164(text);
alter table campaigns drop constraint if exists campaigns_call_hours;
alter table campaigns drop constraint if exists campaigns_call_days;
alter table campaigns drop constraint if exists campaigns_call_after;
alter table campaigns drop constraint if exists campaigns_timezone_valid;
drop function if exists leadgraph_rules.is_time_zone(text);

------------------------------------------------------------------------------
-- Rules.

create function leadgraph_rules.is_time_zone(name text) returns boolean
  language plpgsql immutable parallel safe
as $$
begin
  perform now() at time zone name;
  return name is not null;
exception when others then
  return false;
end;
$$;
comment on function leadgraph_rules.is_time_zone(text) is E'Whether PostgreSQL knows the time zone (an IANA name such as Europe/Berlin, or UTC).';

-- A phone number in E.164 as VAPI wants it, when it is written with its
-- country code: separators, "(0)" trunk prefixes, an extension and Excel's
-- leading apostrophe go; 00 becomes +. A national number (no country code)
-- is null: leadgraph does not guess the country.
create function leadgraph_rules.e164(phone text) returns text
  language sql immutable parallel safe
as $$
  select case when d ~ '^\+[1-9][0-9]{6,14}$' then d end
  from (select regexp_replace(
                 regexp_replace(
                   regexp_replace(
                     regexp_replace(leadgraph_rules.clean_phone(phone), '\s*(x|ext\.?|extension)\s*[0-9]+\s*$', '', 'i'),
                     '\(0\)', '', 'g'),
                   '[^0-9+]', '', 'g'),
                 '^00', '+') as d) x
$$;
comment on function leadgraph_rules.e164(text) is E'A phone number in E.164 (+14155550101) when it is written with its country code (+1 415-555-0101, 0044 20 7946 0958, +44 (0)20 7946 0958); null otherwise (a national number, no number).';

create function leadgraph_rules.call_number(phone text, mobile_phone text, phones text[]) returns text
  language sql immutable parallel safe
as $$
  select n from unnest(array[phone, mobile_phone] || coalesce(phones, '{}')) with ordinality as u (p, i),
                lateral leadgraph_rules.e164(u.p) as n
  where n is not null order by u.i limit 1
$$;
comment on function leadgraph_rules.call_number(text, text, text[]) is E'The number a call to a lead goes to: the first of phone, mobile_phone and phones that is in E.164 (see e164); null when none is.';

-- campaign_leads.call_status only moves forward (docs/sources/vapi-calls.md):
-- not_scheduled < scheduled < failed < no_answer = voicemail = wrong_number <
-- completed; do_not_call absorbs.
create function leadgraph_rules.call_status_rank(status text) returns integer
  language sql immutable parallel safe
as $$
  select case status when 'not_scheduled' then 0 when 'scheduled' then 1 when 'failed' then 2
                     when 'no_answer' then 3 when 'voicemail' then 3 when 'wrong_number' then 3
                     when 'completed' then 4 when 'do_not_call' then 5 else 0 end
$$;
comment on function leadgraph_rules.call_status_rank(text) is E'How far a campaign lead''s call_status is: not_scheduled 0, scheduled 1, failed 2, no_answer, voicemail or wrong_number 3, completed 4, do_not_call 5 (absorbing). A status never moves to a lower rank.';

create function leadgraph_rules.call_status_of_outcome(outcome text) returns text
  language sql immutable parallel safe
as $$
  select case outcome when 'answered' then 'completed' when 'no_answer' then 'no_answer' when 'busy' then 'no_answer'
                      when 'voicemail' then 'voicemail' when 'wrong_number' then 'wrong_number' end
$$;
comment on function leadgraph_rules.call_status_of_outcome(text) is E'The call_status a call outcome brings a campaign lead to: answered -> completed, no_answer and busy -> no_answer, voicemail, wrong_number; null for anything else.';

-- The first moment at or after `at` inside the call hours: on one of `days`
-- (ISO weekdays, 1 = Monday), between hours_start and hours_end, local time
-- in `tz`. Within the next eight days there is always one.
create function leadgraph_rules.next_call_time(at timestamptz, tz text, hours_start time, hours_end time, days smallint[])
  returns timestamptz
  language sql stable parallel safe
as $$
  select min(greatest(at, (s.day + hours_start) at time zone tz))
  from (select (at at time zone tz)::date + d as day from generate_series(0, 8) d) s
  where extract(isodow from s.day)::smallint = any (days)
    and (s.day + hours_end) at time zone tz > at
$$;
comment on function leadgraph_rules.next_call_time(timestamptz, text, time, time, smallint[]) is E'The first moment at or after the given one inside the call hours (the days given as ISO weekdays, 1 = Monday, between the start and end times, local time in the time zone).';

create function leadgraph_rules.call_window_end(at timestamptz, tz text, hours_end time) returns timestamptz
  language sql stable parallel safe
as $$
  select ((at at time zone tz)::date + hours_end) at time zone tz
$$;
comment on function leadgraph_rules.call_window_end(timestamptz, text, time) is E'When the call hours of the local day of the given moment end (in the time zone).';

------------------------------------------------------------------------------
-- Campaigns: what the seed lacks for calls.
alter table campaigns add column if not exists call_after interval not null default '3 days';
alter table campaigns add column if not exists vapi_assistant_id text;
alter table campaigns add column if not exists vapi_phone_number_id text;
alter table campaigns add column if not exists call_hours_start time not null default '09:00';
alter table campaigns add column if not exists call_hours_end time not null default '17:00';
alter table campaigns add column if not exists call_days smallint[] not null default '{1,2,3,4,5}';
alter table campaigns add constraint campaigns_call_after check (call_after >= interval '0');
alter table campaigns add constraint campaigns_call_hours check (call_hours_start < call_hours_end);
alter table campaigns add constraint campaigns_call_days
  check (cardinality(call_days) > 0 and call_days <@ '{1,2,3,4,5,6,7}'::smallint[]);
-- Call hours are computed in it: an unknown name would stop the schedule.
-- Not valid: rows written before are not checked (only new writes are).
alter table campaigns add constraint campaigns_timezone_valid check (leadgraph_rules.is_time_zone(timezone)) not valid;
comment on column campaigns.timezone is E'IANA time zone the schedule is in (Europe/Berlin, America/New_York, UTC); the call hours are local time there (a lead''s own time zone is not known).';
comment on column campaigns.call_after is E'Calls (uses_calls): how long after the last email a lead who has not replied gets a call. Default 3 days.';
comment on column campaigns.vapi_assistant_id is E'Calls (uses_calls): the VAPI assistant that makes the calls (its id in the VAPI dashboard). No calls are placed without it.';
comment on column campaigns.vapi_phone_number_id is E'Calls (uses_calls): the VAPI phone number the calls come from (its id in the VAPI dashboard, not the number). No calls are placed without it.';
comment on column campaigns.call_hours_start is E'Calls: local time (in the campaign''s timezone) from which calls are placed. Default 09:00.';
comment on column campaigns.call_hours_end is E'Calls: local time (in the campaign''s timezone) until which calls are placed. Default 17:00.';
comment on column campaigns.call_days is E'Calls: the weekdays calls are placed on, ISO numbers (1 = Monday ... 7 = Sunday). Default Monday to Friday.';
grant insert (call_after, vapi_assistant_id, vapi_phone_number_id, call_hours_start, call_hours_end, call_days),
      update (call_after, vapi_assistant_id, vapi_phone_number_id, call_hours_start, call_hours_end, call_days)
  on campaigns to leadgraph_visitor;

------------------------------------------------------------------------------
-- The outbox: calls to place through VAPI, one row per call.
create table vapi_call_requests (
  id uuid primary key default gen_random_uuid(),
  campaign_lead_id uuid not null references campaign_leads (id) on delete cascade,
  lead_id uuid not null references leads (id) on delete cascade,
  campaign_id uuid not null references campaigns (id) on delete cascade,
  reason text not null check (reason in ('workflow', 'manual')),
  requested_by uuid references users (id) on delete set null,
  customer_number text not null check (customer_number ~ '^\+[1-9][0-9]{6,14}$'),
  state text not null default 'queued' check (state in ('queued', 'placing', 'placed', 'failed', 'canceled')),
  not_before timestamptz not null default now(),
  attempts integer not null default 0 check (attempts >= 0),
  vapi_call_id text,
  error text,
  requested_at timestamptz not null default now(),
  placed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vapi_call_requests_placed check (state <> 'placed' or vapi_call_id is not null)
);
create index vapi_call_requests_campaign_lead_id_idx on vapi_call_requests (campaign_lead_id);
create index vapi_call_requests_lead_id_idx on vapi_call_requests (lead_id);
create index vapi_call_requests_campaign_id_idx on vapi_call_requests (campaign_id);
create index vapi_call_requests_requested_by_idx on vapi_call_requests (requested_by);
create index vapi_call_requests_requested_at_idx on vapi_call_requests (requested_at desc);
create index vapi_call_requests_state_idx on vapi_call_requests (state);
create index vapi_call_requests_vapi_call_id_idx on vapi_call_requests (vapi_call_id) where vapi_call_id is not null;
-- What the placer drains, earliest first.
create index vapi_call_requests_open_idx on vapi_call_requests (not_before) where state in ('queued', 'placing');
-- At most one call under way per membership; the workflow calls a membership once, ever.
create unique index vapi_call_requests_one_open_key on vapi_call_requests (campaign_lead_id) where state in ('queued', 'placing');
create unique index vapi_call_requests_workflow_once_key on vapi_call_requests (campaign_lead_id) where reason = 'workflow';
create trigger _100_timestamps before insert or update on vapi_call_requests
  for each row execute function leadgraph_private.tg__timestamps();
alter table vapi_call_requests enable row level security;

comment on table vapi_call_requests is E'@behavior -insert -update -delete\nThe outbox of calls leadgraph places through VAPI (POST /call), one row per call: written by the workflow (a membership due a call, see callsDue) or by queueCall, placed by the worker once, even across retries and crashes.';
comment on constraint vapi_call_requests_campaign_lead_id_fkey on vapi_call_requests is E'@fieldName campaignLead\n@foreignFieldName vapiCallRequests';
comment on constraint vapi_call_requests_lead_id_fkey on vapi_call_requests is E'@fieldName lead\n@foreignFieldName vapiCallRequests';
comment on constraint vapi_call_requests_campaign_id_fkey on vapi_call_requests is E'@fieldName campaign\n@foreignFieldName vapiCallRequests';
comment on constraint vapi_call_requests_requested_by_fkey on vapi_call_requests is E'@fieldName requester\n@foreignFieldName requestedCalls';
comment on column vapi_call_requests.id is E'The request''s id.';
comment on column vapi_call_requests.campaign_lead_id is E'The campaign membership called (VAPI''s customer.externalId).';
comment on column vapi_call_requests.lead_id is E'The lead called.';
comment on column vapi_call_requests.campaign_id is E'The campaign whose assistant and phone number make the call.';
comment on column vapi_call_requests.reason is E'workflow (emailed, no reply after the campaign''s call_after) or manual (queueCall).';
comment on column vapi_call_requests.requested_by is E'Who queued it (manual); null for the workflow.';
comment on column vapi_call_requests.customer_number is E'The number called, in E.164, as it was when the call was queued.';
comment on column vapi_call_requests.state is E'queued (waiting for not_before), placing (sent to VAPI; a crashed or timed-out attempt is checked against VAPI''s calls before any retry), placed (VAPI has the call: vapi_call_id), failed (VAPI refused it: error says why), canceled.';
comment on column vapi_call_requests.not_before is E'When the call may be placed: inside the campaign''s call hours (the workflow), now (manual), or later after a failed attempt.';
comment on column vapi_call_requests.attempts is E'How many times placing was tried.';
comment on column vapi_call_requests.vapi_call_id is E'VAPI''s call id, once placed (vapi_calls_raw, events).';
comment on column vapi_call_requests.error is E'Why the last attempt failed (VAPI''s message), if it did.';
comment on column vapi_call_requests.requested_at is E'When the call was queued.';
comment on column vapi_call_requests.placed_at is E'When VAPI accepted the call.';
comment on column vapi_call_requests.created_at is E'When the row was created.';
comment on column vapi_call_requests.updated_at is E'When the row last changed.';

grant select on vapi_call_requests to leadgraph_visitor;
create policy select_all on vapi_call_requests for select using (true);

-- Starting the placer: one job key, so one job waits at a time; it runs when
-- the earliest open request may be placed (or at `earliest` when given: a
-- retry or a full concurrency). The job takes an advisory lock too (a running
-- job does not stop add_job from queueing the next one).
create function leadgraph_private.enqueue_vapi_call_placement(earliest timestamptz default null) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  run_at timestamptz := coalesce(earliest,
    (select min(r.not_before) from vapi_call_requests r where r.state in ('queued', 'placing')));
begin
  if run_at is null then
    return;
  end if;
  perform graphile_worker.add_job(
    identifier => 'vapi_call_requests__place',
    job_key => 'vapi_call_requests__place',
    job_key_mode => 'replace',
    run_at => greatest(run_at, now())
  );
end;
$$;
comment on function leadgraph_private.enqueue_vapi_call_placement(timestamptz) is E'Schedules the placing of queued VAPI calls: when the earliest open request may be placed, or at the time given.';
revoke execute on function leadgraph_private.enqueue_vapi_call_placement(timestamptz) from public;

create function leadgraph_private.tg_vapi_call_requests__enqueue() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform leadgraph_private.enqueue_vapi_call_placement();
  return null;
end;
$$;
comment on function leadgraph_private.tg_vapi_call_requests__enqueue() is E'Trigger function: new call requests (re)schedule the placer for the earliest open one.';
create trigger _900_enqueue after insert on vapi_call_requests
  for each statement execute function leadgraph_private.tg_vapi_call_requests__enqueue();

------------------------------------------------------------------------------
-- The due list: memberships the workflow calls next. The schedule job
-- (tasks/vapi_calls__schedule.ts) queues exactly these.
-- Not strict and one statement, so PostgreSQL inlines it: the page's filter,
-- order and totalCount join it in one plan.
create function calls_due() returns setof campaign_leads
  language sql stable
as $$
  select cl.* from campaign_leads cl
  join campaigns c on c.id = cl.campaign_id
  join leads l on l.id = cl.lead_id
  where c.uses_calls and c.campaign_status = 'active'
    and c.vapi_assistant_id is not null and c.vapi_phone_number_id is not null
    and (c.ends_at is null or c.ends_at > now())
    and cl.email_status in ('sent', 'opened', 'clicked')
    and cl.email_replied_at is null
    and cl.call_status = 'not_scheduled'
    and greatest(cl.email_sent_at,
                 (select max(e.event_timestamp) from events e
                  where e.campaign_lead_id = cl.id and e.event_type in ('email_sent', 'manual_email_sent'))) < now() - c.call_after
    and leadgraph_rules.call_number(l.phone, l.mobile_phone, l.phones) is not null
    and l.lead_status <> 'do_not_contact'
    and not exists (select 1 from campaign_leads o where o.lead_id = cl.lead_id and o.call_status = 'do_not_call')
    and not exists (select 1 from vapi_call_requests r where r.campaign_lead_id = cl.id)
$$;
comment on function calls_due() is E'@behavior +order +filterProc\nCampaign memberships due a call from the workflow "email -> no reply -> call": the campaign uses calls, is active and has a VAPI assistant and phone number; the lead was emailed (sent, opened or clicked), has not replied, and the last email is older than the campaign''s callAfter; no call yet (callStatus not_scheduled, no call request); the lead has a phone number with its country code and is not do-not-call (in any campaign) or do_not_contact. Takes the same filter and orderBy as campaignLeads.';
grant execute on function calls_due() to leadgraph_visitor;

------------------------------------------------------------------------------
-- Queueing a call by hand (the lead page's "Call now").
-- Security definer: visitors cannot write the outbox. Every lead is visible
-- to every user (leads' select policy), so it checks the lead exists.
create function queue_call(lead_id uuid, campaign_id uuid default null) returns vapi_call_requests
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  target leads;
  membership campaign_leads;
  campaign campaigns;
  names text;
  found_count integer;
  number text;
  existing vapi_call_requests;
  result vapi_call_requests;
begin
  select * into target from leads l where l.id = queue_call.lead_id;
  if target.id is null then
    raise exception 'No lead with id %', queue_call.lead_id using errcode = 'P0002';
  end if;
  if queue_call.campaign_id is not null then
    select cl.* into membership from campaign_leads cl
    where cl.lead_id = target.id and cl.campaign_id = queue_call.campaign_id for update;
    if membership.id is null then
      raise exception 'The lead is not in campaign %', queue_call.campaign_id using errcode = 'P0002';
    end if;
    select * into campaign from campaigns c where c.id = membership.campaign_id;
    if not campaign.uses_calls then
      raise exception 'Campaign "%" does not make calls: turn on usesCalls first', campaign.campaign_name using errcode = '22023';
    end if;
  else
    select count(*), string_agg('"' || c.campaign_name || '"', ', ' order by c.campaign_name) into found_count, names
    from campaign_leads cl join campaigns c on c.id = cl.campaign_id
    where cl.lead_id = target.id and c.uses_calls;
    if found_count = 0 then
      raise exception 'The lead is in no campaign that makes calls (usesCalls): add it to one first' using errcode = '22023';
    elsif found_count > 1 then
      raise exception 'The lead is in % campaigns that make calls (%): say which one (campaignId)', found_count, names
        using errcode = '22023';
    end if;
    select cl.* into membership from campaign_leads cl join campaigns c on c.id = cl.campaign_id
    where cl.lead_id = target.id and c.uses_calls for update of cl;
    select * into campaign from campaigns c where c.id = membership.campaign_id;
  end if;
  if campaign.vapi_assistant_id is null or campaign.vapi_phone_number_id is null then
    raise exception 'Campaign "%" has no VAPI assistant or phone number (vapiAssistantId, vapiPhoneNumberId)', campaign.campaign_name
      using errcode = '22023';
  end if;
  if target.lead_status = 'do_not_contact' then
    raise exception 'The lead is marked do not contact' using errcode = '22023';
  end if;
  if exists (select 1 from campaign_leads o where o.lead_id = target.id and o.call_status = 'do_not_call') then
    raise exception 'The lead is marked do not call' using errcode = '22023';
  end if;
  number := leadgraph_rules.call_number(target.phone, target.mobile_phone, target.phones);
  if number is null then
    if coalesce(target.phone, target.mobile_phone) is null and cardinality(target.phones) = 0 then
      raise exception 'The lead has no phone number' using errcode = '22023';
    end if;
    raise exception 'The lead has no phone number with its country code (E.164, e.g. +14155550101): VAPI cannot call a national number'
      using errcode = '22023';
  end if;
  select * into existing from vapi_call_requests r where r.campaign_lead_id = membership.id and r.state in ('queued', 'placing');
  if existing.id is not null then
    raise exception 'A call to this lead is already queued in campaign "%" (request %, %)', campaign.campaign_name, existing.id, existing.state
      using errcode = '23505';
  end if;
  insert into vapi_call_requests (campaign_lead_id, lead_id, campaign_id, reason, requested_by, customer_number, not_before)
  values (membership.id, target.id, campaign.id, 'manual', current_user_id(), number, now())
  returning * into result;
  update campaign_leads cl set call_status = 'scheduled', call_scheduled_at = result.not_before
  where cl.id = membership.id and leadgraph_rules.call_status_rank(cl.call_status) < leadgraph_rules.call_status_rank('scheduled');
  return result;
end;
$$;
comment on function queue_call(uuid, uuid) is E'@resultFieldName vapiCallRequest\nQueues a call to a lead now (the lead page''s "Call now"), in the given campaign or the only one of the lead''s campaigns that makes calls; the worker places it through VAPI with the campaign''s assistant and phone number. Refused, with the reason, when the lead has no phone number with its country code, is do-not-call or do_not_contact, is in no (or more than one, without campaignId) campaign that makes calls, the campaign has no VAPI assistant or phone number, or a call is already queued.';
grant execute on function queue_call(uuid, uuid) to leadgraph_visitor;

create function cancel_call_request(request_id uuid) returns vapi_call_requests
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  result vapi_call_requests;
begin
  update vapi_call_requests r set state = 'canceled', error = null
  where r.id = request_id and r.state = 'queued'
  returning * into result;
  if result.id is null then
    select * into result from vapi_call_requests r where r.id = request_id;
    if result.id is null then
      raise exception 'No call request with id %', request_id using errcode = 'P0002';
    elsif result.state <> 'canceled' then
      raise exception 'The call is % already: only a queued call can be canceled', result.state using errcode = '22023';
    end if;
    return result;
  end if;
  -- Nothing else happened to the membership: it was only scheduled.
  update campaign_leads cl set call_status = 'not_scheduled', call_scheduled_at = null
  where cl.id = result.campaign_lead_id and cl.call_status = 'scheduled';
  return result;
end;
$$;
comment on function cancel_call_request(uuid) is E'@resultFieldName vapiCallRequest\nCancels a queued call (not yet sent to VAPI). The workflow does not queue that membership again.';
grant execute on function cancel_call_request(uuid) to leadgraph_visitor;

------------------------------------------------------------------------------
-- A call made by hand (by phone, outside VAPI): an event in the timeline,
-- the membership's call status moved forward.
create function log_call(lead_id uuid, outcome text, duration_seconds integer default null, note text default null,
                         campaign_id uuid default null) returns events
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  outcomes constant text[] := array['answered', 'no_answer', 'voicemail', 'busy', 'wrong_number'];
  membership campaign_leads;
  status text := leadgraph_rules.call_status_of_outcome(outcome);
  result events;
begin
  if outcome is null or not outcome = any (outcomes) then
    raise exception 'Unknown call outcome "%": a call''s outcome is one of %', outcome, array_to_string(outcomes, ', ')
      using errcode = '22023';
  end if;
  if duration_seconds < 0 then
    raise exception 'A call''s duration is 0 seconds or more, not %', duration_seconds using errcode = '22023';
  end if;
  if not exists (select 1 from leads l where l.id = log_call.lead_id) then
    raise exception 'No lead with id %', log_call.lead_id using errcode = 'P0002';
  end if;
  if log_call.campaign_id is not null then
    select cl.* into membership from campaign_leads cl
    where cl.lead_id = log_call.lead_id and cl.campaign_id = log_call.campaign_id for update;
    if membership.id is null then
      raise exception 'The lead is not in campaign %', log_call.campaign_id using errcode = 'P0002';
    end if;
  else
    -- The only campaign of the lead that makes calls; with none or several the call is the lead's alone.
    select cl.* into membership from campaign_leads cl join campaigns c on c.id = cl.campaign_id
    where cl.lead_id = log_call.lead_id and c.uses_calls
      and (select count(*) from campaign_leads x join campaigns y on y.id = x.campaign_id
           where x.lead_id = log_call.lead_id and y.uses_calls) = 1
    for update of cl;
  end if;
  insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, call_outcome, call_duration_seconds,
                      note_text, performed_by)
  values ('manual', 'call_logged', log_call.lead_id, membership.campaign_id, membership.id, outcome, duration_seconds,
          nullif(btrim(note), ''), current_user_id())
  returning * into result;
  if membership.id is not null then
    -- Never backwards; of equal ranks (no_answer, voicemail, wrong_number) the latest.
    update campaign_leads cl set
      call_status = status,
      call_completed_at = case when status = 'completed' then coalesce(cl.call_completed_at, result.event_timestamp) else cl.call_completed_at end,
      call_duration_seconds = case when status = 'completed' then coalesce(duration_seconds, cl.call_duration_seconds) else cl.call_duration_seconds end
    where cl.id = membership.id and cl.call_status <> 'do_not_call'
      and leadgraph_rules.call_status_rank(status) >= leadgraph_rules.call_status_rank(cl.call_status)
      and cl.call_status is distinct from status;
  end if;
  return result;
end;
$$;
comment on function log_call(uuid, text, integer, text, uuid) is E'@resultFieldName event\nLogs a call made by hand: a manual call_logged event in the lead''s timeline with the outcome (answered, no_answer, voicemail, busy, wrong_number), the duration in seconds and the note, performed by the signed-in user, in the given campaign or the only one of the lead''s campaigns that makes calls (none when there are several). That membership''s callStatus moves forward (answered -> completed, busy -> no_answer), never backwards.';
grant execute on function log_call(uuid, text, integer, text, uuid) to leadgraph_visitor;
