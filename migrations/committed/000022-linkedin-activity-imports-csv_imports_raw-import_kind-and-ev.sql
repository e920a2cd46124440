--! Previous: sha1:cffa0eec57f8754ac4b6189c8d30da0f8a6e6df4
--! Hash: sha1:389ad795242b41388e4df96f0bde4bd9ed170684
--! Message: LinkedIn activity imports: csv_imports_raw.import_kind and event counts, one event per touch, events.csv_import_row_id, linkedin_status_rank, linkedin_url_problem, percent-decoded profile URLs

-- LinkedIn activity CSV imports (issue 11): an import has a kind, leads
-- (Apollo and the like, as before) or linkedin (touches exported by HeyReach,
-- Expandi, lemlist, PhantomBuster, Dripify: one event per touch). The same
-- pipeline (raw rows, per-row outcomes, reprocess); the normaliser is chosen
-- by the kind (src/sources/csv/normalize/index.ts). What a LinkedIn touch
-- needs: a key that makes one event per touch, the event's source row, the
-- order of campaign_leads.linkedin_status as one rule, a rule that says which
-- profile URLs cannot be matched, and percent-encoded profile URLs matching
-- the same profile written in plain letters.

drop index if exists events_linkedin_touch_key;
drop index if exists events_csv_import_row_id_idx;
drop function if exists leadgraph_rules.linkedin_url_problem(text);
drop function if exists leadgraph_rules.linkedin_status_of_event(text);
drop function if exists leadgraph_rules.linkedin_status_rank(text);

------------------------------------------------------------------------------
-- The kind of an import, chosen by the uploader (leadgraph import --kind,
-- POST /imports?kind=, or detected from the columns by the upload code);
-- a direct insert without it is a leads import, as before.
alter table csv_imports_raw add column if not exists import_kind text not null default 'leads'
  check (import_kind in ('leads', 'linkedin'));
comment on column csv_imports_raw.import_kind is E'What the file holds: leads (people and companies: an Apollo export and the like) or linkedin (LinkedIn activity exported by an outreach tool: connection requests, messages, replies; one event per touch). Chosen by the uploader; leads when not given.';
alter table csv_imports_raw add column if not exists events_inserted integer not null default 0 check (events_inserted >= 0);
alter table csv_imports_raw add column if not exists events_unchanged integer not null default 0 check (events_unchanged >= 0);
comment on column csv_imports_raw.events_inserted is E'LinkedIn imports: rows whose touch became a new event.';
comment on column csv_imports_raw.events_unchanged is E'LinkedIn imports: rows whose touch was already an event (an earlier import of the same or an overlapping export).';
grant insert (import_kind) on csv_imports_raw to leadgraph_visitor;

------------------------------------------------------------------------------
-- The import row an event was first recorded from (LinkedIn imports): what
-- says "this import inserted it" across reprocessing, and where its raw row is.
alter table events add column if not exists csv_import_row_id bigint references csv_import_rows (id) on delete set null;
-- (not partial: PostGraphile gives the reverse relation only for a full index)
create index events_csv_import_row_id_idx on events (csv_import_row_id);
comment on column events.csv_import_row_id is E'The CSV import row the event was first recorded from (LinkedIn activity imports).';
comment on constraint events_csv_import_row_id_fkey on events is E'@fieldName csvImportRow\n@foreignFieldName events';

-- One event per LinkedIn touch: the same lead, type, moment and text is the
-- same touch, whichever export (or re-import) brings it. The text's hash,
-- not the text: a long message must fit in an index entry.
create unique index events_linkedin_touch_key on events (lead_id, event_type, event_timestamp, md5(coalesce(linkedin_message_text, '')))
  where event_source = 'linkedin';

comment on column events.event_type is E'What happened. instantly: email_sent, email_opened, link_clicked, email_replied, auto_reply_received, email_bounced, lead_unsubscribed, lead_interested, ...; vapi: call_initiated, call_completed, call_voicemail, ...; linkedin: connection_sent, connection_accepted, message_sent, message_replied, inmail_sent, inmail_replied, profile_viewed; manual: note_added, status_changed, task_created.';

------------------------------------------------------------------------------
-- campaign_leads.linkedin_status only moves forward: this order, once.
create function leadgraph_rules.linkedin_status_rank(status text) returns integer
  language sql immutable parallel safe
as $$
  select array_position(array['not_started', 'connection_sent', 'connected', 'message_sent', 'replied'], status)
$$;
comment on function leadgraph_rules.linkedin_status_rank(text) is E'How far a campaign lead''s linkedin_status is (it never moves back): not_started 1 < connection_sent 2 < connected 3 < message_sent 4 < replied 5; null for anything else.';

-- The linkedin_status a LinkedIn event brings a campaign lead to.
create function leadgraph_rules.linkedin_status_of_event(event_type text) returns text
  language sql immutable parallel safe
as $$
  select case event_type
    when 'connection_sent' then 'connection_sent'
    when 'connection_accepted' then 'connected'
    when 'message_sent' then 'message_sent'
    when 'inmail_sent' then 'message_sent'
    when 'message_replied' then 'replied'
    when 'inmail_replied' then 'replied'
  end
$$;
comment on function leadgraph_rules.linkedin_status_of_event(text) is E'The linkedin_status a LinkedIn event brings a campaign lead to (connection_sent, connection_accepted -> connected, message_sent and inmail_sent -> message_sent, message_replied and inmail_replied -> replied); null for others (profile_viewed).';

-- Profile URLs that name nobody we can match: Sales Navigator's and the
-- member URNs tools export name a member by LinkedIn's internal id, which
-- no public /in/<slug> URL shows. Said, rather than guessed.
create function leadgraph_rules.linkedin_url_problem(url text) returns text
  language sql immutable parallel safe
as $$
  select case
    when nullif(btrim(url), '') is null then null
    when url ~* '/sales/(lead|people)/' then
      'Sales Navigator URL (/sales/lead/... or /sales/people/...): it names the member by an internal id, not their public profile, so it cannot be matched'
    when url ~* '(^|[^a-z])urn:li:' or url ~ '(^|/in/)ACo[A-Za-z0-9_-]{8,}' then
      'URN-style LinkedIn member id (ACoAA..., urn:li:...): not the public profile URL, so it cannot be matched'
    when leadgraph_rules.normalize_linkedin_url(url) !~ '^linkedin\.com/in/[^/]+$' then
      'not a LinkedIn profile URL (linkedin.com/in/...): ' || left(btrim(url), 200)
  end
$$;
comment on function leadgraph_rules.linkedin_url_problem(text) is E'Why a LinkedIn URL cannot identify a person (Sales Navigator URL, URN-style member id, not a linkedin.com/in/ profile), or null when it can (or is empty).';

-- %XX escapes decoded as UTF-8 (a string that does not decode is kept as it is).
create or replace function leadgraph_rules.percent_decode(input text) returns text
  language plpgsql immutable parallel safe
as $$
declare
  bytes bytea := '';
  i integer := 1;
  n integer := length(input);
begin
  if input is null or strpos(input, '%') = 0 then
    return input;
  end if;
  while i <= n loop
    if substr(input, i, 1) = '%' and substr(input, i + 1, 2) ~ '^[0-9A-Fa-f]{2}$' then
      bytes := bytes || decode(substr(input, i + 1, 2), 'hex');
      i := i + 3;
    else
      bytes := bytes || convert_to(substr(input, i, 1), 'UTF8');
      i := i + 1;
    end if;
  end loop;
  return convert_from(bytes, 'UTF8');
exception when others then
  return input;
end;
$$;
comment on function leadgraph_rules.percent_decode(text) is E'Text with its %XX escapes decoded as UTF-8 (jos%C3%A9 -> josé); unchanged when it has none or they are not UTF-8.';

-- A profile written percent-encoded (/in/jos%C3%A9-garc%C3%ADa, as browsers
-- copy it) is the profile written in letters (/in/josé-garcía). The decoding
-- only runs for URLs with a %, so the rule stays inlinable for the others.
create or replace function leadgraph_rules.normalize_linkedin_url(url text) returns text
  language sql immutable parallel safe
as $$
  select nullif(
    regexp_replace(
      regexp_replace(
        regexp_replace(
          leadgraph_rules.fold_case(btrim(case when strpos(url, '%') > 0 then leadgraph_rules.percent_decode(url) else url end)),
          '^([a-z][a-z0-9+.-]*://)?(www\.|[a-z]{2}\.|m\.)?', ''),
        '[?#].*$', ''),
      '/+$', ''),
    '')
$$;
-- (the index is on this rule: rebuilt for the profiles the new form changes)
reindex index leads_linkedin_key_idx;

------------------------------------------------------------------------------
-- merge_leads: the LinkedIn order is the rule above; a touch both leads had
-- stays one event (the kept lead's).
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
    -- do_not_call absorbs; otherwise whichever was called.
    call_status = case when m.call_status = 'do_not_call' or k.call_status = 'not_scheduled' then m.call_status else k.call_status end,
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
