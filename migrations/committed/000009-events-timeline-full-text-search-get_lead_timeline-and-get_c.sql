--! Previous: sha1:e45890f64aafb7c2d0929db7da44ac5f5439e3fe
--! Hash: sha1:315b0e61d9a272c6d0d55b36596a7d8d2377beb1
--! Message: events timeline, full-text search, get_lead_timeline and get_campaign_event_stats

-- Seed migration 009: events, one timeline of everything that happened to a
-- lead, from every source (Instantly email, VAPI calls, LinkedIn, manual notes).
-- A new source is a new event_source value, not a new table.

create table events (
  id uuid primary key default gen_random_uuid(),
  event_source text not null check (event_source in ('instantly', 'vapi', 'linkedin', 'manual', 'system')),
  event_type text not null check (btrim(event_type) <> ''),
  lead_id uuid not null references leads (id) on delete cascade,
  -- History survives a campaign or membership being deleted.
  campaign_id uuid references campaigns (id) on delete set null,
  campaign_lead_id uuid references campaign_leads (id) on delete set null,
  event_timestamp timestamptz not null default now(),
  -- Email (instantly)
  email_subject text,
  email_body text,
  email_from text,
  email_to text,
  -- Not a foreign key: a webhook can announce an email before the sync has
  -- stored it in instantly_emails_raw.
  instantly_email_id text,
  -- Calls (vapi)
  call_duration_seconds integer check (call_duration_seconds >= 0),
  call_recording_url text,
  call_transcript text,
  call_outcome text,
  vapi_call_id text,
  -- LinkedIn
  linkedin_message_text text,
  linkedin_profile_url text,
  -- Manual
  note_text text,
  performed_by uuid references users (id) on delete set null,
  raw_data jsonb,
  -- Full-text search over what was written and said.
  search_vector tsvector generated always as (
    setweight(to_tsvector('english', coalesce(email_subject, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(email_body, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(call_transcript, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(linkedin_message_text, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(note_text, '')), 'C')
  ) stored,
  created_at timestamptz not null default now()
);
create index events_lead_timeline_idx on events (lead_id, event_timestamp desc);
create index events_campaign_idx on events (campaign_id, event_timestamp desc);
create index events_campaign_lead_id_idx on events (campaign_lead_id);
create index events_performed_by_idx on events (performed_by);
create index events_source_type_idx on events (event_source, event_type);
create index events_event_type_idx on events (event_type);
create index events_event_timestamp_idx on events (event_timestamp desc);
create index events_instantly_email_id_idx on events (instantly_email_id) where instantly_email_id is not null;
create index events_vapi_call_id_idx on events (vapi_call_id) where vapi_call_id is not null;
create index events_search_idx on events using gin (search_vector);
alter table events enable row level security;

comment on table events is E'The timeline: everything that happened to a lead, from every source, one row per event.';
comment on column events.event_source is E'Where the event comes from: instantly (email), vapi (calls), linkedin, manual (a person), system (leadgraph itself).';
comment on column events.event_type is E'What happened. instantly: email_sent, email_opened, link_clicked, email_replied, auto_reply_received, email_bounced, lead_unsubscribed, lead_interested, ...; vapi: call_initiated, call_completed, call_voicemail, ...; linkedin: connection_sent, connection_accepted, message_sent, message_replied; manual: note_added, status_changed, task_created.';
comment on column events.lead_id is E'The lead it happened to.';
comment on column events.campaign_id is E'The campaign it happened in, if any.';
comment on column events.campaign_lead_id is E'The lead''s membership of that campaign, if any.';
comment on column events.event_timestamp is E'When it happened.';
comment on column events.email_subject is E'Email subject.';
comment on column events.email_body is E'Email body as text.';
comment on column events.email_from is E'Sender address.';
comment on column events.email_to is E'Recipient address(es).';
comment on column events.instantly_email_id is E'Instantly''s email id (instantly_emails_raw.instantly_email_id).';
comment on column events.call_duration_seconds is E'Call length.';
comment on column events.call_recording_url is E'Link to the call recording.';
comment on column events.call_transcript is E'Call transcript.';
comment on column events.call_outcome is E'answered, no_answer, voicemail, busy, wrong_number.';
comment on column events.vapi_call_id is E'VAPI''s call id.';
comment on column events.linkedin_message_text is E'LinkedIn message text.';
comment on column events.linkedin_profile_url is E'LinkedIn profile the event is about.';
comment on column events.note_text is E'Text of a manual note.';
comment on column events.performed_by is E'The user who did it (manual events).';
comment on column events.raw_data is E'The source''s own data for the event, as received.';
comment on column events.search_vector is E'Full-text search document (English) over subject, body, transcript, LinkedIn text and notes (generated).';
comment on column events.created_at is E'When leadgraph stored the event.';

-- A lead's timeline across every source, newest first.
create function get_lead_timeline(lead_id uuid)
returns table (
  event_id uuid,
  event_source text,
  event_type text,
  event_timestamp timestamptz,
  event_summary text,
  campaign_id uuid
)
language sql stable strict
as $$
  select
    e.id,
    e.event_source,
    e.event_type,
    e.event_timestamp,
    case e.event_source
      when 'instantly' then coalesce(e.email_subject, e.event_type)
      when 'vapi' then e.event_type || ' - ' || coalesce(e.call_outcome, 'unknown')
      when 'linkedin' then coalesce(left(e.linkedin_message_text, 200), e.event_type)
      when 'manual' then coalesce(e.note_text, e.event_type)
      else e.event_type
    end,
    e.campaign_id
  from events e
  where e.lead_id = get_lead_timeline.lead_id
  order by e.event_timestamp desc, e.id desc
$$;
comment on function get_lead_timeline(uuid) is E'A lead''s timeline across every source (email, calls, LinkedIn, notes), newest first, with a one-line summary per event.';

-- How many events of each source and type a campaign has.
create function get_campaign_event_stats(campaign_id uuid)
returns table (
  event_source text,
  event_type text,
  event_count bigint
)
language sql stable strict
as $$
  select e.event_source, e.event_type, count(*)
  from events e
  where e.campaign_id = get_campaign_event_stats.campaign_id
  group by e.event_source, e.event_type
  order by count(*) desc, e.event_source, e.event_type
$$;
comment on function get_campaign_event_stats(uuid) is E'Event counts of a campaign by source and type, most frequent first.';
