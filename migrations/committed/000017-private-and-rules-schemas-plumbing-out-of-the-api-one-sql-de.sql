--! Previous: sha1:a706f4833a6e7aaa2eea82088953939c7dcebe08
--! Hash: sha1:a56d880bee80e5303990ec2643098e5b0d82f3eb
--! Message: Private and rules schemas: plumbing out of the API, one SQL definition per matching rule, Unicode-aware email keys with a merge of split leads, names in ICU order, leads.phones

-- Two schemas beside public, and one definition per matching rule.
--
-- public            the product: tables, functions and comments GraphQL shows.
-- leadgraph_rules   the business rules every writer shares (the normal form
--                   of an email address, a LinkedIn URL, a domain; which
--                   domains are free mail; status ranks; name splitting).
--                   Callable by everyone (constraints, triggers and indexes
--                   of tables the API writes use them), not in GraphQL.
-- leadgraph_private plumbing: queues, sync cursors, the functions that
--                   enqueue jobs, trigger functions. Visitors have no access.
-- See migrations/CONVENTIONS.md for what goes where.

------------------------------------------------------------------------------
-- leadgraph_private: plumbing out of the API.
create schema if not exists leadgraph_private;
revoke all on schema leadgraph_private from public;
comment on schema leadgraph_private is E'Plumbing (queues, cursors, enqueue and trigger functions): not part of the API, no access for visitors.';

alter table if exists public.instantly_pending set schema leadgraph_private;
alter table if exists public.instantly_sync_state set schema leadgraph_private;
revoke all on leadgraph_private.instantly_pending, leadgraph_private.instantly_sync_state from leadgraph_visitor;
drop policy if exists select_all on leadgraph_private.instantly_pending;
drop policy if exists select_all on leadgraph_private.instantly_sync_state;
comment on table leadgraph_private.instantly_pending is E'Instantly raw rows waiting for normalisation (new or changed since it last ran).';
comment on table leadgraph_private.instantly_sync_state is E'Where each part of the Instantly sync resumes: the cursor of an interrupted pass, the watermark of the last complete one.';

-- Functions that enqueue jobs, and every trigger function. Each keeps its
-- OID, so the triggers that call them are unchanged. Their search_path names
-- both new schemas, so their bodies find the moved tables and the rules.
do $$
declare
  fn text;
begin
  foreach fn in array array[
    'enqueue_csv_import_normalization(uuid, interval)', 'enqueue_instantly_normalization()',
    'enqueue_instantly_sync(uuid, text)', 'instantly_step_number(text)', 'instantly_interest_status(text)',
    'tg__timestamps()', 'tg_campaign_leads__count()', 'tg_campaign_leads__last_activity()',
    'tg_companies__normalize()', 'tg_csv_imports__enqueue()', 'tg_events__count()', 'tg_instantly_raw__pending()',
    'tg_instantly_sync_requests__enqueue()', 'tg_leads__normalize()'
  ] loop
    if to_regprocedure('public.' || fn) is not null then
      execute format('alter function public.%s set schema leadgraph_private', fn);
    end if;
  end loop;
end;
$$;
revoke all on function leadgraph_private.instantly_step_number(text), leadgraph_private.instantly_interest_status(text)
  from leadgraph_visitor, public;
comment on function leadgraph_private.instantly_step_number(text) is E'Our 1-based sequence step from Instantly''s: "0_1_0" (GET /emails, 0-based) -> 2; "2" (webhook, 1-based) -> 2.';
comment on function leadgraph_private.instantly_interest_status(text) is E'The overall_status an Instantly interest status means: 1 interested, 2/3 meeting_booked, 4 converted (won), -1/-3 not_interested, -2 disqualified (wrong person); also the lead_* webhook event names. Out of office (0), no show (-4) and custom labels: null (no change).';
comment on function leadgraph_private.enqueue_instantly_normalization() is E'Schedules the normalisation of Instantly raw rows waiting in instantly_pending.';
comment on function leadgraph_private.enqueue_instantly_sync(uuid, text) is E'Schedules an Instantly sync.';
comment on function leadgraph_private.enqueue_csv_import_normalization(uuid, interval) is E'(Re)schedules the normalisation of a CSV import.';

------------------------------------------------------------------------------
-- leadgraph_rules: one definition per matching rule.
create schema if not exists leadgraph_rules;
grant usage on schema leadgraph_rules to leadgraph_visitor;
comment on schema leadgraph_rules is E'The matching rules every writer shares (normal forms, free-mail domains, ranks): used by both normalisers, constraints, indexes and tests; not in GraphQL.';

-- The email normal form does not depend on the database's collation: lower()
-- under a `C` collation folds ASCII only (Łukasz and łukasz became two
-- leads). ICU's root collation lower-cases every script and exists on every
-- PostgreSQL built with ICU (the embedded one, Debian's, the managed ones);
-- PostgreSQL 17+'s builtin pg_c_utf8 is the fallback. NFC first, so a
-- decomposed "e + combining diaeresis" is the same address as "ë" (only
-- for text outside ASCII: NFC is most of the cost, see bench/collation.ts).
-- Not strict, so that PostgreSQL inlines the rules into the queries using
-- them (a strict SQL function around non-strict nullif() is called per row).
do $$
declare
  icu text := case
    when exists (select 1 from pg_collation where collname = 'und-x-icu') then 'und-x-icu'
    when exists (select 1 from pg_collation where collname = 'pg_c_utf8') then 'pg_c_utf8'
  end;
begin
  if icu is null then
    raise exception 'leadgraph needs PostgreSQL built with ICU (or PostgreSQL 17+): email addresses must be compared case-insensitively in every language';
  end if;
  execute format($f$
    create or replace function leadgraph_rules.normalize_email(address text) returns text
      language sql immutable parallel safe
    as $body$
      select nullif(lower((case when address ~ '[^\x01-\x7f]' then normalize(btrim(address, E' \t\r\n\u00a0\ufeff'), nfc)
                                else btrim(address, E' \t\r\n') end) collate %I), '')
    $body$ $f$, icu);
  execute format($f$
    create or replace function leadgraph_rules.fold_case(input text) returns text
      language sql immutable parallel safe
    as $body$
      select lower((case when input ~ '[^\x01-\x7f]' then normalize(input, nfc) else input end) collate %I)
    $body$ $f$, icu);
end;
$$;
comment on function leadgraph_rules.normalize_email(text) is E'The normal form of an email address, its de-duplication key: trimmed, NFC, lower-cased in every script (whatever the database''s collation); empty is null.';
comment on function leadgraph_rules.fold_case(text) is E'Text lower-cased in every script (whatever the database''s collation), NFC: for case-insensitive keys.';

-- A domain name: labels of letters, digits and inner hyphens, at least two.
-- Internationalised names (münchen.de, 例え.jp) are domains too: any
-- character outside ASCII except spaces and invisible ones.
create or replace function leadgraph_rules.is_domain(name text) returns boolean
  language sql immutable parallel safe
as $$
  select name ~ (
    '^(?:[a-zA-Z0-9]|[^\x01-\x7f\s\u00a0\u200b-\u200f\u2028\u2029\u3000\ufeff])'
    || '(?:(?:[a-zA-Z0-9-]|[^\x01-\x7f\s\u00a0\u200b-\u200f\u2028\u2029\u3000\ufeff])*(?:[a-zA-Z0-9]|[^\x01-\x7f\s\u00a0\u200b-\u200f\u2028\u2029\u3000\ufeff]))?'
    || '(?:\.(?:[a-zA-Z0-9]|[^\x01-\x7f\s\u00a0\u200b-\u200f\u2028\u2029\u3000\ufeff])'
    || '(?:(?:[a-zA-Z0-9-]|[^\x01-\x7f\s\u00a0\u200b-\u200f\u2028\u2029\u3000\ufeff])*(?:[a-zA-Z0-9]|[^\x01-\x7f\s\u00a0\u200b-\u200f\u2028\u2029\u3000\ufeff]))?)+$')
    and length(name) <= 253
$$;
comment on function leadgraph_rules.is_domain(text) is E'Whether the text is a domain name (internationalised names included), e.g. acme.com, münchen.de.';

-- An address we can send to: one @, a local part without spaces, quotes or
-- brackets, a domain. (Apostrophes are legal in local parts: o''brien@.)
create or replace function leadgraph_rules.is_email(address text) returns boolean
  language sql immutable parallel safe
as $$
  select address ~ '^[^@\s<>(),;:"\[\]\\]+@[^@]+$' and leadgraph_rules.is_domain(split_part(address, '@', 2))
$$;
comment on function leadgraph_rules.is_email(text) is E'Whether the text is a usable email address: one @, a local part without spaces, quotes or brackets, and a domain name (see is_domain).';

-- normalize_domain moves here from public (the companies constraint and
-- trigger keep using it: same function) and lower-cases every script.
do $$
begin
  if to_regprocedure('public.normalize_domain(text)') is not null then
    alter function public.normalize_domain(text) set schema leadgraph_rules;
  end if;
end;
$$;
create or replace function leadgraph_rules.normalize_domain(input text) returns text
  language sql immutable parallel safe
as $$
  select nullif(
    regexp_replace(
      regexp_replace(
        regexp_replace(
          regexp_replace(
            regexp_replace(leadgraph_rules.fold_case(btrim(input)), '^([a-z][a-z0-9+.-]*://)+', ''),  -- schemes
            '[/?#].*$', ''),                                                                           -- path, query, fragment
          '[.[:space:]]+$', ''),                                                                       -- trailing dots and spaces
        '^([^@]*@)?(www\.)*([^:]*)(:[0-9]*)?$', '\3'),                                                 -- user@, www., :port
      '[.[:space:]]+$', ''),
    '')
$$;
comment on function leadgraph_rules.normalize_domain(text) is E'The normal form of a domain or website: lower case, without scheme, www., path, port or trailing dot (https://www.Acme.com/about -> acme.com).';

-- A LinkedIn profile's normal form, the key for people without an email:
-- the same profile is written with or without scheme, www. or a country
-- subdomain, a query string, a trailing slash, in any case.
create or replace function leadgraph_rules.normalize_linkedin_url(url text) returns text
  language sql immutable parallel safe
as $$
  select nullif(
    regexp_replace(
      regexp_replace(
        regexp_replace(leadgraph_rules.fold_case(btrim(url)), '^([a-z][a-z0-9+.-]*://)?(www\.|[a-z]{2}\.|m\.)?', ''),
        '[?#].*$', ''),
      '/+$', ''),
    '')
$$;
comment on function leadgraph_rules.normalize_linkedin_url(text) is E'The normal form of a LinkedIn URL, the key of a person without an email: https://www.LinkedIn.com/in/Jane-Doe/?trk=x -> linkedin.com/in/jane-doe.';

create table if not exists leadgraph_rules.free_mail_domains (
  domain text primary key check (domain = leadgraph_rules.normalize_domain(domain))
);
comment on table leadgraph_rules.free_mail_domains is E'Email domains of free-mail providers: never a company''s domain.';
comment on column leadgraph_rules.free_mail_domains.domain is E'The domain, in normal form.';
grant select on leadgraph_rules.free_mail_domains to leadgraph_visitor;
insert into leadgraph_rules.free_mail_domains (domain)
select unnest(array[
  'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de', 'ymail.com', 'hotmail.com',
  'hotmail.co.uk', 'hotmail.fr', 'outlook.com', 'live.com', 'msn.com', 'aol.com', 'icloud.com', 'me.com', 'mac.com',
  'proton.me', 'protonmail.com', 'pm.me', 'gmx.com', 'gmx.de', 'gmx.net', 'web.de', 't-online.de', 'mail.com',
  'mail.ru', 'yandex.ru', 'yandex.com', 'qq.com', '163.com', '126.com', 'zoho.com', 'fastmail.com', 'hey.com',
  'tutanota.com', 'free.fr', 'orange.fr', 'wanadoo.fr', 'laposte.net', 'libero.it', 'btinternet.com', 'comcast.net',
  'wp.pl', 'o2.pl', 'interia.pl', 'seznam.cz'
])
on conflict do nothing;

-- A company's domain: from its website, else from the person's email unless
-- that is free mail.
create or replace function leadgraph_rules.company_domain_from(website text, email text) returns text
  language sql stable parallel safe
as $$
  select coalesce(
    (select d from leadgraph_rules.normalize_domain(website) d where leadgraph_rules.is_domain(d)),
    (select d from leadgraph_rules.normalize_domain(split_part(email, '@', 2)) d
     where leadgraph_rules.is_domain(d) and not exists (select 1 from leadgraph_rules.free_mail_domains f where f.domain = d)))
$$;
comment on function leadgraph_rules.company_domain_from(text, text) is E'A company''s domain: the website''s, else the email address''s unless it is free mail (see free_mail_domains); null when neither gives one.';

-- campaign_leads.email_status only moves forward: pending < sent < opened <
-- clicked < replied | bounced < unsubscribed.
create or replace function leadgraph_rules.email_status_rank(status text) returns integer
  language sql immutable parallel safe
as $$
  select case status when 'sent' then 1 when 'opened' then 2 when 'clicked' then 3 when 'replied' then 4
                     when 'bounced' then 4 when 'unsubscribed' then 5 else 0 end
$$;
comment on function leadgraph_rules.email_status_rank(text) is E'How far a campaign lead''s email_status is: pending 0, sent 1, opened 2, clicked 3, replied or bounced 4, unsubscribed 5. A status never moves to a lower rank.';

create or replace function leadgraph_rules.email_status_of_event(event_type text) returns text
  language sql immutable parallel safe
as $$
  select case event_type when 'email_sent' then 'sent' when 'manual_email_sent' then 'sent' when 'email_opened' then 'opened'
                         when 'link_clicked' then 'clicked' when 'email_replied' then 'replied'
                         when 'email_bounced' then 'bounced' when 'lead_unsubscribed' then 'unsubscribed' end
$$;
comment on function leadgraph_rules.email_status_of_event(text) is E'The email_status an event brings a campaign lead to (email_sent -> sent, email_opened -> opened, ...), null for other events.';

-- "Jane van der Berg" -> Jane / van der Berg.
create or replace function leadgraph_rules.first_name_of(full_name text) returns text
  language sql immutable parallel safe
as $$
  select nullif(split_part(regexp_replace(btrim(full_name), '\s+', ' ', 'g'), ' ', 1), '')
$$;
create or replace function leadgraph_rules.last_name_of(full_name text) returns text
  language sql immutable parallel safe
as $$
  select nullif(substr(regexp_replace(btrim(full_name), '\s+', ' ', 'g'),
                       length(split_part(regexp_replace(btrim(full_name), '\s+', ' ', 'g'), ' ', 1)) + 2), '')
$$;
comment on function leadgraph_rules.first_name_of(text) is E'The first word of a full name: "Jane van der Berg" -> Jane.';
comment on function leadgraph_rules.last_name_of(text) is E'A full name after its first word: "Jane van der Berg" -> van der Berg; null for one word.';

-- A phone cell as people write it; Excel-proofing apostrophes ('+1 555...)
-- are not part of the number.
create or replace function leadgraph_rules.clean_phone(phone text) returns text
  language sql immutable parallel safe
as $$
  select nullif(btrim(regexp_replace(btrim(phone), '^''+', '')), '')
$$;
comment on function leadgraph_rules.clean_phone(text) is E'A phone number as written, without surrounding spaces and Excel''s leading apostrophe; empty is null.';

create or replace function leadgraph_rules.phone_list(phones text[]) returns text[]
  language sql immutable parallel safe
as $$
  select coalesce(array_agg(p order by first_at), '{}')
  from (select leadgraph_rules.clean_phone(u.p) as p, min(u.i) as first_at from unnest(phones) with ordinality u (p, i)
        where leadgraph_rules.clean_phone(u.p) is not null group by 1) x
$$;
comment on function leadgraph_rules.phone_list(text[]) is E'Phone numbers without empties and repeats, in the order given (the primary one first).';

-- The functions moved above read their tables and the rules by name.
alter function leadgraph_private.enqueue_csv_import_normalization(uuid, interval) set search_path to pg_catalog, public, leadgraph_private, pg_temp;
alter function leadgraph_private.enqueue_instantly_normalization() set search_path to pg_catalog, public, leadgraph_private, pg_temp;
alter function leadgraph_private.enqueue_instantly_sync(uuid, text) set search_path to pg_catalog, public, leadgraph_private, pg_temp;
alter function leadgraph_private.tg_csv_imports__enqueue() set search_path to pg_catalog, public, leadgraph_private, pg_temp;
alter function leadgraph_private.tg_instantly_raw__pending() set search_path to pg_catalog, public, leadgraph_private, pg_temp;
alter function leadgraph_private.tg_instantly_sync_requests__enqueue() set search_path to pg_catalog, public, leadgraph_private, pg_temp;
alter function leadgraph_private.tg_companies__normalize() set search_path to pg_catalog, public, leadgraph_rules, pg_temp;
alter function public.reprocess_csv_import(uuid) set search_path to pg_catalog, public, leadgraph_private, pg_temp;

------------------------------------------------------------------------------
-- Leads: Unicode-aware email keys, LinkedIn keys through the rule, every phone.

create or replace function leadgraph_private.tg_leads__normalize() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  NEW.email = leadgraph_rules.normalize_email(NEW.email);
  return NEW;
end;
$$;
comment on function leadgraph_private.tg_leads__normalize() is E'Trigger function: stores leads.email in its normal form (leadgraph_rules.normalize_email), the form de-duplication compares.';

drop index if exists leads_linkedin_key_idx;
create index leads_linkedin_key_idx on leads (leadgraph_rules.normalize_linkedin_url(linkedin_url));

alter table leads add column if not exists phones text[] not null default '{}';
comment on column leads.phones is E'Every phone number the sources gave for this person, as written, the primary one (phone) first.';
grant insert (phones), update (phones) on leads to leadgraph_visitor;

-- Leads merged into another: when two rows turned out to be one person (the
-- same address under a case-folding `C` database split them).
create table if not exists lead_merges (
  id uuid primary key default gen_random_uuid(),
  kept_lead_id uuid not null references leads (id) on delete cascade,
  merged_lead_id uuid not null,
  merged_lead jsonb not null,
  merged_memberships jsonb not null default '[]',
  reason text not null,
  merged_at timestamptz not null default now()
);
create index if not exists lead_merges_kept_lead_id_idx on lead_merges (kept_lead_id);
alter table lead_merges enable row level security;
drop policy if exists select_all on lead_merges;
create policy select_all on lead_merges for select using (true);
grant select on lead_merges to leadgraph_visitor;
comment on table lead_merges is E'@behavior -insert -update -delete\nLeads merged into another lead because they were the same person: what the merged row held, and why. Its events, campaign memberships and import rows moved to the kept lead.';
comment on column lead_merges.id is E'Identifier of the merge.';
comment on column lead_merges.kept_lead_id is E'The lead that stayed.';
comment on column lead_merges.merged_lead_id is E'The id the merged lead had (that row is gone).';
comment on column lead_merges.merged_lead is E'The merged lead''s row as it was before the merge.';
comment on column lead_merges.merged_memberships is E'The merged lead''s campaign memberships as they were (those of a campaign both were in were folded into the kept lead''s).';
comment on column lead_merges.reason is E'Why the two were one person.';
comment on column lead_merges.merged_at is E'When they were merged.';

create or replace function leadgraph_private.tier(overall_status text) returns integer
  language sql immutable parallel safe
as $$
  select case overall_status when 'active' then 0 when 'completed' then 1 when 'replied' then 2 when 'bounced' then 2
                             when 'unsubscribed' then 2 else 3 end
$$;
comment on function leadgraph_private.tier(text) is E'How far a campaign lead''s overall_status is when two memberships are folded into one: active 0, completed 1, replied/bounced/unsubscribed 2, an interest status 3.';

-- Merges lead `merged` into lead `kept`: empty fields of kept filled from
-- merged, every event, membership and import row moved over (a campaign both
-- were in keeps one membership, the further one of the two), the merge logged.
create or replace function leadgraph_private.merge_leads(kept uuid, merged uuid, reason text) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  gone leads;
  linkedin_order text[] := array['not_started', 'connection_sent', 'connected', 'message_sent', 'replied'];
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
    linkedin_status = case when array_position(linkedin_order, m.linkedin_status) > array_position(linkedin_order, k.linkedin_status)
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
comment on function leadgraph_private.merge_leads(uuid, uuid, text) is E'Merges a lead into another (same person): fills the kept lead''s empty fields, moves events, campaign memberships and import rows, logs the merge in lead_merges, deletes the merged row.';
revoke all on function leadgraph_private.merge_leads(uuid, uuid, text) from public;

-- Leads an older database split by the case of a non-ASCII letter: one lead
-- per address again, the oldest kept.
do $$
declare
  dup record;
  other uuid;
begin
  -- The one already holding the normal form is merged first, so that the
  -- kept lead can take that form without meeting another row that holds it.
  for dup in
    select g.address, g.kept,
           array_agg(l.id order by (l.email = g.address) desc, l.created_at, l.id) filter (where l.id <> g.kept) as others
    from (select leadgraph_rules.normalize_email(email) as address, (array_agg(id order by created_at, id))[1] as kept
          from leads where email is not null group by 1 having count(*) > 1) g
    join leads l on l.email is not null and leadgraph_rules.normalize_email(l.email) = g.address
    group by g.address, g.kept
  loop
    foreach other in array dup.others loop
      perform leadgraph_private.merge_leads(dup.kept, other, 'same email address: ' || dup.address);
    end loop;
  end loop;
end;
$$;
update leads set email = leadgraph_rules.normalize_email(email) where email is distinct from leadgraph_rules.normalize_email(email);
-- (After the merge: any update of leads normalises its email.)
update leads set phones = leadgraph_rules.phone_list(array[phone, mobile_phone])
where phones = '{}' and (phone is not null or mobile_phone is not null);

-- Company domains in the new normal form (it folds every script now, not
-- ASCII only): where two companies meet under one domain, the one already
-- in normal form (else the oldest) keeps it and the other's leads move to it.
create temp table company_domain_moves on commit drop as
select id, leadgraph_rules.normalize_domain(company_domain) as domain,
       first_value(id) over (partition by leadgraph_rules.normalize_domain(company_domain)
                             order by (company_domain = leadgraph_rules.normalize_domain(company_domain)) desc, created_at, id) as kept_id
from companies
where leadgraph_rules.normalize_domain(company_domain) in (
  select leadgraph_rules.normalize_domain(company_domain) from companies
  where company_domain is distinct from leadgraph_rules.normalize_domain(company_domain));
update leads l set company_id = m.kept_id from company_domain_moves m where l.company_id = m.id and m.id <> m.kept_id;
update companies k set
  company_name = coalesce(k.company_name, c.company_name),
  website = coalesce(k.website, c.website),
  apollo_account_id = coalesce(k.apollo_account_id, c.apollo_account_id)
from company_domain_moves m join companies c on c.id = m.id
where k.id = m.kept_id and m.id <> m.kept_id;
delete from companies c using company_domain_moves m where c.id = m.id and m.id <> m.kept_id;
update companies c set company_domain = m.domain from company_domain_moves m where c.id = m.id and c.company_domain is distinct from m.domain;
drop table company_domain_moves;

-- The raw layer's lookup keys of people (derived columns beside the payload,
-- which stays as received) in the same normal form.
update instantly_leads_raw set email = leadgraph_rules.normalize_email(email)
where email is distinct from leadgraph_rules.normalize_email(email);
update instantly_webhooks_raw set lead_email = leadgraph_rules.normalize_email(lead_email)
where lead_email is distinct from leadgraph_rules.normalize_email(lead_email);

create or replace function public.receive_instantly_webhook(payload jsonb) returns table (id uuid, deliveries integer)
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  event_type text := nullif(btrim(payload ->> 'event_type'), '');
  lead_email text := leadgraph_rules.normalize_email(coalesce(payload ->> 'lead_email', payload ->> 'email'));
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

------------------------------------------------------------------------------
-- Names sort alphabetically in every language, and case-insensitive search
-- (ILIKE) folds every script, whatever the database's collation: person and
-- company names carry ICU's root collation. (full_name is generated from the
-- two name columns, so it is dropped and made again around their change.)
do $$
begin
  if exists (select 1 from pg_collation where collname = 'und-x-icu')
     and (select collation_name from information_schema.columns
          where table_schema = 'public' and table_name = 'leads' and column_name = 'first_name') is distinct from 'und-x-icu' then
    drop index if exists leads_full_name_search_idx;
    alter table leads drop column full_name;
    alter table leads alter column first_name type text collate "und-x-icu",
                      alter column last_name type text collate "und-x-icu";
    alter table leads add column full_name text collate "und-x-icu"
      generated always as (nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), '')) stored;
    comment on column leads.full_name is E'First and last name (generated).';
    create index leads_full_name_search_idx on leads using gin (to_tsvector('simple', coalesce(full_name, '')));
    alter table companies alter column company_name type text collate "und-x-icu";
  end if;
end;
$$;
create index if not exists leads_full_name_idx on leads (full_name);
create index if not exists leads_last_name_idx on leads (last_name);
alter table leadgraph_rules.free_mail_domains enable row level security;
drop policy if exists select_all on leadgraph_rules.free_mail_domains;
create policy select_all on leadgraph_rules.free_mail_domains for select using (true);
