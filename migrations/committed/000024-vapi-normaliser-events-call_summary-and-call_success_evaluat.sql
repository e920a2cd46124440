--! Previous: sha1:291d22d72660e2122b39d252eef3f92b5f283d21
--! Hash: sha1:b9e70e537572d888d0b34b8de02157bbb7988aa6
--! Message: VAPI normaliser: events call_summary and call_success_evaluation (searched), one outcome event per call, endedReason and call_status rules, phone keys, the normaliser's call matches, campaign_call_counts, merge_leads ranks call_status

-- VAPI normaliser (issue 11): what the calls of the raw layer (000021) become.
-- events: a call's summary and success evaluation, searchable with its
-- transcript; one outcome event per call. leadgraph_rules: endedReason ->
-- event type, outcome and call_status, the rank call_status only climbs, and
-- the phone key that finds the leads a number may be. The normaliser's own
-- record of which lead each call is (leadgraph_private.vapi_call_matches),
-- and a rollup of memberships by call_status for the dashboards.
-- src/sources/vapi/normalize/ applies them; docs/sources/vapi-normalize.md.

drop trigger if exists _500_call_count_insert on campaign_leads;
drop trigger if exists _500_call_count_update on campaign_leads;
drop trigger if exists _500_call_count_delete on campaign_leads;
drop function if exists leadgraph_private.tg_campaign_leads__call_count();
drop table if exists campaign_call_counts;
drop function if exists leadgraph_private.claim_vapi_pending(integer);
drop table if exists leadgraph_private.vapi_call_matches;
drop index if exists leads_phone_keys_idx;
drop function if exists leadgraph_rules.phone_keys(text[]);
drop function if exists leadgraph_rules.call_status_of_event(text, text);
drop function if exists leadgraph_rules.vapi_call_outcome(text);
drop function if exists leadgraph_rules.vapi_call_event_type(text);
drop index if exists events_vapi_call_outcome_key;

------------------------------------------------------------------------------
-- events: summary and success evaluation; the search covers the summary.
alter table events add column if not exists call_summary text;
alter table events add column if not exists call_success_evaluation text;
comment on column events.call_summary is E'What the call was about, as VAPI''s analysis summarised it (analysis.summary). Searched with the transcript.';
comment on column events.call_success_evaluation is E'VAPI''s verdict on the call (analysis.successEvaluation), as text: its form depends on the assistant''s rubric ("true", "8", "Pass", ...).';

-- The generated search document is made again with the summary (a generated
-- column's expression cannot be altered). search_events() reads the column
-- by name at run time; the trigram indexes of 000020 are on leads and
-- companies, not here; events_search_idx goes with the column.
alter table events drop column if exists search_vector;
alter table events add column search_vector tsvector generated always as (
  setweight(to_tsvector('english', coalesce(email_subject, '')), 'A') ||
  setweight(to_tsvector('english', coalesce(email_body, '')), 'B') ||
  setweight(to_tsvector('english', coalesce(call_summary, '')), 'B') ||
  setweight(to_tsvector('english', coalesce(call_transcript, '')), 'B') ||
  setweight(to_tsvector('english', coalesce(linkedin_message_text, '')), 'B') ||
  setweight(to_tsvector('english', coalesce(note_text, '')), 'C')
) stored;
create index events_search_idx on events using gin (search_vector);
comment on column events.search_vector is E'Full-text search document (English) over subject, body, call summary and transcript, LinkedIn text and notes (generated).';
comment on function search_events(text) is E'Full-text search over events (email subject and body, call summaries and transcripts, LinkedIn messages, notes), best matches first. The query uses web-search syntax: words, "quoted phrases", OR, -excluded.';

-- One outcome event per VAPI call: the webhook's and the sync's copies of a
-- call are one row, updated in place (the normaliser upserts on it). Other
-- VAPI events (call_initiated, when a call is placed) are not outcomes.
create unique index events_vapi_call_outcome_key on events (vapi_call_id)
  where event_source = 'vapi' and event_type in ('call_completed', 'call_voicemail', 'call_no_answer', 'call_failed', 'call_canceled');

------------------------------------------------------------------------------
-- Rules: VAPI's endedReason (docs/sources/vapi-normalize.md has the table).
-- The enum grows (600+ values): what is not known is a failed call, and the
-- reason itself stays in the event's raw_data.
create function leadgraph_rules.vapi_call_event_type(ended_reason text) returns text
  language sql immutable parallel safe
as $$
  select case
    when nullif(btrim(ended_reason), '') is null then null
    when ended_reason in ('customer-ended-call', 'assistant-said-end-call-phrase', 'silence-timed-out', 'exceeded-max-duration',
                          'assistant-forwarded-call', 'call.in-progress.twilio-completed-call', 'call.in-progress.sip-completed-call')
      or ended_reason like 'assistant-ended-call%' then 'call_completed'
    when ended_reason = 'voicemail' then 'call_voicemail'
    when ended_reason in ('customer-did-not-answer', 'customer-busy', 'twilio-failed-to-connect-call', 'vonage-failed-to-connect-call')
      or ended_reason like 'call.ringing.%' then 'call_no_answer'
    when ended_reason in ('manually-canceled', 'scheduled-call-deleted', 'call-deleted') then 'call_canceled'
    else 'call_failed'
  end
$$;
comment on function leadgraph_rules.vapi_call_event_type(text) is E'The event a VAPI call that ended with this endedReason is: call_completed, call_voicemail, call_no_answer, call_canceled, else call_failed (unknown reasons included); null while it has not ended.';

create function leadgraph_rules.vapi_call_outcome(ended_reason text) returns text
  language sql immutable parallel safe
as $$
  select case
    when ended_reason = 'customer-busy' then 'busy'
    when ended_reason = 'twilio-reported-customer-misdialed' then 'wrong_number'
    else case leadgraph_rules.vapi_call_event_type(ended_reason)
      when 'call_completed' then 'answered' when 'call_voicemail' then 'voicemail' when 'call_no_answer' then 'no_answer' end
  end
$$;
comment on function leadgraph_rules.vapi_call_outcome(text) is E'events.call_outcome of a VAPI call by endedReason: answered, voicemail, no_answer, busy, wrong_number; null for failed and canceled calls.';

-- The status a call event brings: its outcome's (the rule a call logged by
-- hand follows too, 000023), else failed, or not_scheduled for a canceled call.
create function leadgraph_rules.call_status_of_event(event_type text, call_outcome text) returns text
  language sql immutable parallel safe
as $$
  select coalesce(leadgraph_rules.call_status_of_outcome(call_outcome),
                  case event_type when 'call_failed' then 'failed' when 'call_canceled' then 'not_scheduled' end)
$$;
comment on function leadgraph_rules.call_status_of_event(text, text) is E'The campaign_leads.call_status a call event brings its membership to: its outcome''s (leadgraph_rules.call_status_of_outcome: completed, voicemail, no_answer (busy too), wrong_number), else failed; a canceled call not_scheduled (which only undoes a scheduled call: see call_status_rank).';

-- A phone number's lookup key: its last 8 digits (an extension after "ext",
-- "x" or "#" left out). The same number written nationally (0151 2345678) and
-- internationally (+49 151 2345678) shares it; the normaliser then compares
-- the candidates' E.164 forms (src/sources/vapi/normalize/phones.ts).
create function leadgraph_rules.phone_keys(phones text[]) returns text[]
  language sql immutable parallel safe
as $$
  select coalesce(array_agg(distinct right(d, 8)) filter (where length(d) >= 6), '{}')
  from unnest(phones) p, regexp_replace(regexp_replace(p, '(?i)\s*(ext\.?|extension|x|#).*$', ''), '\D', '', 'g') d
$$;
comment on function leadgraph_rules.phone_keys(text[]) is E'Lookup keys of phone numbers: the last 8 digits of each (without an extension), so that national and international spellings of a number meet; a key finds candidates, not matches.';
-- Without GIN's pending list (fastupdate): every update of a lead (its
-- last_event_at moves with each event) would add to it, and each lookup
-- scans it whole (0.6 ms per number with 20k leads instead of 1 us).
create index leads_phone_keys_idx on leads using gin (leadgraph_rules.phone_keys(phones)) with (fastupdate = off);

------------------------------------------------------------------------------
-- Which lead (and membership) each VAPI call is, and what it says of the
-- membership's call workflow: campaign_leads' call fields are recomputed
-- from these rows, so any order of deliveries gives the same memberships.
create table leadgraph_private.vapi_call_matches (
  vapi_call_id text primary key,
  lead_id uuid not null references leads (id) on delete cascade,
  campaign_lead_id uuid references campaign_leads (id) on delete set null,
  matched_by text not null check (matched_by in ('external_id', 'phone')),
  call_status text not null,
  created_at_vapi timestamptz,
  ended_at timestamptz,
  duration_seconds integer,
  activity_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index vapi_call_matches_lead_id_idx on leadgraph_private.vapi_call_matches (lead_id);
create index vapi_call_matches_campaign_lead_id_idx on leadgraph_private.vapi_call_matches (campaign_lead_id);
create trigger _100_timestamps before insert or update on leadgraph_private.vapi_call_matches
  for each row execute function leadgraph_private.tg__timestamps();
alter table leadgraph_private.vapi_call_matches enable row level security;
comment on table leadgraph_private.vapi_call_matches is E'The VAPI normaliser''s record of each call it could place: the lead and membership, and what the call says of the membership''s call workflow.';
comment on column leadgraph_private.vapi_call_matches.vapi_call_id is E'VAPI''s call id.';
comment on column leadgraph_private.vapi_call_matches.lead_id is E'The lead the call was with.';
comment on column leadgraph_private.vapi_call_matches.campaign_lead_id is E'The membership it was for (null: the lead is in no campaign that calls).';
comment on column leadgraph_private.vapi_call_matches.matched_by is E'external_id (customer.externalId is the membership''s id) or phone (the customer number in E.164 is one lead''s).';
comment on column leadgraph_private.vapi_call_matches.call_status is E'The call_status this call brings its membership to: scheduled while not ended, else leadgraph_rules.call_status_of_outcome, or do_not_call (structured data).';
comment on column leadgraph_private.vapi_call_matches.created_at_vapi is E'When the call was created at VAPI (placed or scheduled).';
comment on column leadgraph_private.vapi_call_matches.ended_at is E'When it ended.';
comment on column leadgraph_private.vapi_call_matches.duration_seconds is E'endedAt - startedAt, rounded.';
comment on column leadgraph_private.vapi_call_matches.activity_at is E'Its latest moment: endedAt, else startedAt, else createdAt.';
comment on column leadgraph_private.vapi_call_matches.created_at is E'When first matched.';
comment on column leadgraph_private.vapi_call_matches.updated_at is E'When last changed.';

-- Takes up to max_rows queued rows (calls and webhooks) off the queue, in a
-- fixed order, skipping rows another normaliser holds.
create function leadgraph_private.claim_vapi_pending(max_rows integer) returns table (resource text, source_id text)
  language sql volatile
  set search_path to pg_catalog, pg_temp
as $$
  delete from leadgraph_private.vapi_pending p
  where (p.resource, p.source_id) in (
    select q.resource, q.source_id from leadgraph_private.vapi_pending q
    order by q.resource, q.source_id limit max_rows for update skip locked)
  returning p.resource, p.source_id
$$;
comment on function leadgraph_private.claim_vapi_pending(integer) is E'Takes up to max_rows queued VAPI raw rows (calls, then webhooks, by id) off the queue, skipping rows another normaliser holds.';
revoke all on function leadgraph_private.claim_vapi_pending(integer) from public;

------------------------------------------------------------------------------
-- campaign_leads -> campaign_call_counts: memberships by call status, for the
-- dashboards (campaign_lead_counts counts by email status and step; the
-- calls themselves are in campaign_event_counts under event_source vapi).
create table campaign_call_counts (
  campaign_id uuid not null references campaigns (id) on delete cascade,
  call_status text not null,
  lead_count bigint not null check (lead_count >= 0),
  primary key (campaign_id, call_status)
);
create index campaign_call_counts_call_status_idx on campaign_call_counts (call_status);
alter table campaign_call_counts enable row level security;
comment on table campaign_call_counts is E'@behavior -insert -update -delete\nLeads per campaign by call status, kept current from campaign_leads by triggers.';
comment on column campaign_call_counts.campaign_id is E'The campaign.';
comment on column campaign_call_counts.call_status is E'not_scheduled, scheduled, completed, no_answer, voicemail, wrong_number, do_not_call or failed.';
comment on column campaign_call_counts.lead_count is E'How many of the campaign''s leads are there.';

create function leadgraph_private.tg_campaign_leads__call_count() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if TG_OP in ('DELETE', 'UPDATE') then
    update campaign_call_counts c set lead_count = c.lead_count - d.n
    from (select campaign_id, call_status, count(*) as n from old_rows group by 1, 2) d
    where c.campaign_id = d.campaign_id and c.call_status = d.call_status;
  end if;
  if TG_OP in ('INSERT', 'UPDATE') then
    insert into campaign_call_counts (campaign_id, call_status, lead_count)
    select campaign_id, call_status, count(*) from new_rows group by 1, 2 order by 1, 2
    on conflict (campaign_id, call_status) do update set lead_count = campaign_call_counts.lead_count + excluded.lead_count;
  end if;
  return null;
end;
$$;
comment on function leadgraph_private.tg_campaign_leads__call_count() is E'Trigger function: keeps campaign_call_counts equal to the campaign_leads it counts.';
revoke all on function leadgraph_private.tg_campaign_leads__call_count() from public;
create trigger _500_call_count_insert after insert on campaign_leads referencing new table as new_rows
  for each statement execute function leadgraph_private.tg_campaign_leads__call_count();
create trigger _500_call_count_update after update on campaign_leads referencing old table as old_rows new table as new_rows
  for each statement execute function leadgraph_private.tg_campaign_leads__call_count();
create trigger _500_call_count_delete after delete on campaign_leads referencing old table as old_rows
  for each statement execute function leadgraph_private.tg_campaign_leads__call_count();
insert into campaign_call_counts (campaign_id, call_status, lead_count)
select campaign_id, call_status, count(*) from campaign_leads group by 1, 2;
grant select on campaign_call_counts to leadgraph_visitor;
create policy select_all on campaign_call_counts for select using (true);

------------------------------------------------------------------------------
-- Merging two leads: the memberships' call_status by the rank (was: whichever
-- was called), the rest as in 000017.
create or replace function leadgraph_private.merge_leads(kept uuid, merged uuid, reason text) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  gone leads;
begin
  select * into gone from leads where id = merged for update;
  if gone.id is null or kept = merged then
    return;
  end if;
  insert into lead_merges (kept_lead_id, merged_lead_id, merged_lead, merged_memberships, reason)
  values (kept, merged, to_jsonb(gone),
          coalesce((select jsonb_agg(to_jsonb(cl) order by cl.created_at) from campaign_leads cl where cl.lead_id = merged), '[]'),
          reason);

  -- Memberships of a campaign both are in: the merged one's events move to
  -- the kept membership, whose workflow takes the further of the two.
  update events e set campaign_lead_id = k.id
  from campaign_leads m join campaign_leads k on k.campaign_id = m.campaign_id and k.lead_id = kept
  where m.lead_id = merged and e.campaign_lead_id = m.id;
  update campaign_leads k set
    email_status = case when leadgraph_rules.email_status_rank(m.email_status) > leadgraph_rules.email_status_rank(k.email_status)
                        then m.email_status else k.email_status end,
    -- Tiers as the Instantly workflow ranks them: active < completed <
    -- replied | bounced | unsubscribed < an interest status.
    overall_status = case when leadgraph_private.tier(m.overall_status) > leadgraph_private.tier(k.overall_status) then m.overall_status else k.overall_status end,
    email_sent_at = least(k.email_sent_at, m.email_sent_at),
    email_opened_at = least(k.email_opened_at, m.email_opened_at),
    email_replied_at = least(k.email_replied_at, m.email_replied_at),
    -- The further of the two (do_not_call ranks highest: it absorbs).
    call_status = case when leadgraph_rules.call_status_rank(m.call_status) > leadgraph_rules.call_status_rank(k.call_status)
                       then m.call_status else k.call_status end,
    call_scheduled_at = coalesce(k.call_scheduled_at, m.call_scheduled_at),
    call_completed_at = coalesce(k.call_completed_at, m.call_completed_at),
    call_duration_seconds = coalesce(k.call_duration_seconds, m.call_duration_seconds),
    linkedin_status = case when leadgraph_rules.linkedin_status_rank(m.linkedin_status) > leadgraph_rules.linkedin_status_rank(k.linkedin_status)
                           then m.linkedin_status else k.linkedin_status end,
    engagement_score = greatest(k.engagement_score, m.engagement_score),
    sequence_step = greatest(k.sequence_step, m.sequence_step),
    next_followup_at = coalesce(k.next_followup_at, m.next_followup_at),
    last_activity_at = greatest(k.last_activity_at, m.last_activity_at)
  from campaign_leads m
  where m.lead_id = merged and k.lead_id = kept and k.campaign_id = m.campaign_id;
  -- The normaliser's calls of the merged lead follow it (before its
  -- memberships go: their call rows point at the kept membership).
  update leadgraph_private.vapi_call_matches v set campaign_lead_id = k.id
  from campaign_leads m join campaign_leads k on k.campaign_id = m.campaign_id and k.lead_id = kept
  where m.lead_id = merged and v.campaign_lead_id = m.id;
  update leadgraph_private.vapi_call_matches set lead_id = kept where lead_id = merged;
  delete from campaign_leads m using campaign_leads k
  where m.lead_id = merged and k.lead_id = kept and k.campaign_id = m.campaign_id;
  update campaign_leads set lead_id = kept where lead_id = merged;
  -- (events_linkedin_touch_key: one event per touch and lead)
  delete from events m using events k
  where m.lead_id = merged and k.lead_id = kept and m.event_source = 'linkedin' and k.event_source = 'linkedin'
    and k.event_type = m.event_type and k.event_timestamp = m.event_timestamp
    and md5(coalesce(k.linkedin_message_text, '')) = md5(coalesce(m.linkedin_message_text, ''));
  update events set lead_id = kept where lead_id = merged;
  update csv_import_rows set lead_id = kept where lead_id = merged;

  delete from leads where id = merged;
  update leads l set
    first_name = coalesce(l.first_name, gone.first_name),
    last_name = coalesce(l.last_name, gone.last_name),
    secondary_email = coalesce(l.secondary_email, gone.secondary_email),
    phone = coalesce(l.phone, gone.phone),
    mobile_phone = coalesce(l.mobile_phone, gone.mobile_phone),
    phones = leadgraph_rules.phone_list(array[l.phone, l.mobile_phone] || l.phones || array[gone.phone, gone.mobile_phone] || gone.phones),
    job_title = coalesce(l.job_title, gone.job_title),
    seniority = coalesce(l.seniority, gone.seniority),
    departments = case when l.departments = '{}' then gone.departments else l.departments end,
    linkedin_url = coalesce(l.linkedin_url, gone.linkedin_url),
    twitter_url = coalesce(l.twitter_url, gone.twitter_url),
    facebook_url = coalesce(l.facebook_url, gone.facebook_url),
    city = coalesce(l.city, gone.city),
    state = coalesce(l.state, gone.state),
    country = coalesce(l.country, gone.country),
    company_id = coalesce(l.company_id, gone.company_id),
    apollo_contact_id = coalesce(l.apollo_contact_id, gone.apollo_contact_id),
    apollo_data = coalesce(l.apollo_data, gone.apollo_data),
    csv_import_id = coalesce(l.csv_import_id, gone.csv_import_id),
    lead_score = coalesce(l.lead_score, gone.lead_score),
    -- An opt-out of either stays; otherwise a status someone set beats 'new'.
    lead_status = case when gone.lead_status = 'do_not_contact' or l.lead_status = 'new' then gone.lead_status else l.lead_status end
  where l.id = kept;
end;
$$;
