--! Previous: sha1:666882bf4e610e75b9b8259333114283e435c757
--! Hash: sha1:320f2f88e51b24dcf3c058271c093ef43ad50486
--! Message: Web app API: viewer(), leads.last_event_at kept from events, search_leads() with leadgraph_rules.fold_search (case and accents), lead_source and employee_count facets, hasPhone, set_lead_status()

-- What the web app's pages need from the API (issue 10): who is signed in,
-- a lead's last activity to sort the lead list by, a quick search over
-- names, emails and companies that ignores case and accents, the facets the
-- lead list filters by, and a status change that shows in the timeline.

drop function if exists set_lead_status(uuid, text, text);
drop function if exists search_leads(text);
drop function if exists leads_has_phone(leads);
drop function if exists viewer();
drop trigger if exists _500_last_event_at_insert on events;
drop trigger if exists _500_last_event_at_update on events;
drop trigger if exists _500_last_event_at_delete on events;
drop function if exists leadgraph_private.tg_events__last_event_at();
drop index if exists leads_last_event_at_idx;
drop index if exists leads_search_idx;
drop index if exists companies_search_idx;
drop index if exists leads_lead_source_idx;
drop index if exists companies_employee_count_idx;
drop function if exists leadgraph_rules.search_pattern(text);
drop function if exists leadgraph_rules.fold_search(text);

------------------------------------------------------------------------------
-- The signed-in user. The app asks for it first: to show who is signed in,
-- and to check a pasted token (a bad one is refused before this runs).
create function viewer() returns users
  language sql stable
as $$
  select u.* from users u where u.id = current_user_id()
$$;
comment on function viewer() is E'The signed-in user: the one the request''s token names (without a token, on a local start, the default user).';
grant execute on function viewer() to leadgraph_visitor;

------------------------------------------------------------------------------
-- A lead's last activity: when its newest event happened, whatever the
-- source. Kept by statement-level triggers (one statement per statement: the
-- Instantly normaliser inserts events in batches), so the lead list sorts and
-- filters by an indexed column instead of a max() over events per lead.
alter table leads add column if not exists last_event_at timestamptz;
-- Its ordering is added by src/graphql/order-by.ts (newest first, leads
-- without events last); the column's own would put them first.
comment on column leads.last_event_at is E'@behavior -orderBy\nWhen the lead''s newest event happened, from any source (its last activity); null before its first event. Kept current from events.';
create index leads_last_event_at_idx on leads (last_event_at desc nulls last, id);

create function leadgraph_private.tg_events__last_event_at() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if TG_OP = 'INSERT' then
    update leads l set last_event_at = n.newest
    from (select lead_id, max(event_timestamp) as newest from new_rows group by lead_id) n
    where l.id = n.lead_id and (l.last_event_at is null or l.last_event_at < n.newest);
  elsif TG_OP = 'DELETE' then
    -- The leads of deleted events are recomputed (an index probe each).
    update leads l set last_event_at = m.newest
    from (select t.lead_id, (select max(e.event_timestamp) from events e where e.lead_id = t.lead_id) as newest
          from (select distinct lead_id from old_rows) t) m
    where l.id = m.lead_id and l.last_event_at is distinct from m.newest;
  else
    -- Events moved to another lead or re-dated: the leads they left and
    -- joined are recomputed.
    update leads l set last_event_at = m.newest
    from (select t.lead_id, (select max(e.event_timestamp) from events e where e.lead_id = t.lead_id) as newest
          from (select o.lead_id from old_rows o join new_rows n on n.id = o.id
                where n.lead_id <> o.lead_id or n.event_timestamp <> o.event_timestamp
                union
                select n.lead_id from old_rows o join new_rows n on n.id = o.id
                where n.lead_id <> o.lead_id or n.event_timestamp <> o.event_timestamp) t) m
    where l.id = m.lead_id and l.last_event_at is distinct from m.newest;
  end if;
  return null;
end;
$$;
comment on function leadgraph_private.tg_events__last_event_at() is E'Trigger function: keeps leads.last_event_at equal to the newest event_timestamp of the lead''s events.';
revoke all on function leadgraph_private.tg_events__last_event_at() from public;
create trigger _500_last_event_at_insert after insert on events referencing new table as new_rows
  for each statement execute function leadgraph_private.tg_events__last_event_at();
create trigger _500_last_event_at_update after update on events referencing old table as old_rows new table as new_rows
  for each statement execute function leadgraph_private.tg_events__last_event_at();
create trigger _500_last_event_at_delete after delete on events referencing old table as old_rows
  for each statement execute function leadgraph_private.tg_events__last_event_at();

-- The events already there (without moving updated_at: the leads did not change).
alter table leads disable trigger _100_timestamps;
update leads l set last_event_at = e.newest
from (select lead_id, max(event_timestamp) as newest from events group by lead_id) e
where l.id = e.lead_id and l.last_event_at is distinct from e.newest;
alter table leads enable trigger _100_timestamps;

------------------------------------------------------------------------------
-- Quick search: "jose" finds José, "MULLER" finds Müller, "zoe" finds Zoë,
-- "ζωη" finds Ζωή. One folding rule, used by the search and its indexes.
-- Lower case in every script (fold_case), then the accents dropped (NFD
-- without combining marks), then the letters that are not a base letter plus
-- a mark (ø, ł, đ, ß, æ, œ, ...) spelt as they are without diacritics. ASCII
-- text is only lower-cased: most names are, and NFD is most of the cost.
create function leadgraph_rules.fold_search(input text) returns text
  language sql immutable parallel safe
as $$
  select case when input ~ '[^\x01-\x7f]' then
    replace(replace(replace(replace(replace(
      translate(
        regexp_replace(normalize(leadgraph_rules.fold_case(input), nfd),
                       '[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]', '', 'g'),
        'øłđðħıŧŀƒς', 'olddhitlfσ'),
      'ß', 'ss'), 'æ', 'ae'), 'œ', 'oe'), 'þ', 'th'), 'ĳ', 'ij')
  else lower(input) end
$$;
comment on function leadgraph_rules.fold_search(text) is E'Text as quick search compares it: lower case in every script, without accents (José -> jose, Müller -> muller, Ζωή -> ζωη), ø ł đ ß æ œ spelt o l d ss ae oe.';

-- A search query as a LIKE pattern over folded text: its words, as typed
-- (spaces collapsed), anywhere in the text; % _ and \ match themselves.
create function leadgraph_rules.search_pattern(query text) returns text
  language sql immutable parallel safe
as $$
  select '%' || regexp_replace(leadgraph_rules.fold_search(regexp_replace(btrim(query), '\s+', ' ', 'g')), '([%_\\])', '\\\1', 'g') || '%'
$$;
comment on function leadgraph_rules.search_pattern(text) is E'A quick-search query as a LIKE pattern over fold_search() text: the folded query anywhere in the text, %, _ and \\ matching themselves.';

-- Trigram indexes make a search of a large workspace an index scan. pg_trgm
-- ships with PostgreSQL (the embedded one, Debian's, the managed services)
-- and is a trusted extension; where it cannot be installed, the search works
-- unindexed.
do $$
begin
  begin
    create extension if not exists pg_trgm with schema leadgraph_rules;
  exception when others then
    raise notice 'pg_trgm is not available (%): quick search of leads works without an index', sqlerrm;
  end;
  if exists (select 1 from pg_extension where extname = 'pg_trgm') then
    execute format('create index leads_search_idx on leads using gin (leadgraph_rules.fold_search(full_name) %1$s.gin_trgm_ops, '
                   'leadgraph_rules.fold_search(email) %1$s.gin_trgm_ops)',
                   (select quote_ident(n.nspname) from pg_extension x join pg_namespace n on n.oid = x.extnamespace where x.extname = 'pg_trgm'));
    execute format('create index companies_search_idx on companies using gin (leadgraph_rules.fold_search(company_name) %s.gin_trgm_ops)',
                   (select quote_ident(n.nspname) from pg_extension x join pg_namespace n on n.oid = x.extnamespace where x.extname = 'pg_trgm'));
  end if;
end;
$$;

-- Not strict (a null or blank query finds every lead), so PostgreSQL inlines
-- it: the page's filters, order and totalCount join the search in one plan.
-- Two branches rather than an OR: an OR keeps the IN from becoming a join.
create function search_leads(query text) returns setof leads
  language sql stable
as $$
  select l.* from leads l
  where leadgraph_rules.fold_search(coalesce(btrim(query), '')) = ''
  union all
  select l.* from leads l
  where leadgraph_rules.fold_search(coalesce(btrim(query), '')) <> ''
    and l.id in (
      select x.id from leads x
      where leadgraph_rules.fold_search(x.full_name) like leadgraph_rules.search_pattern(query)
         or leadgraph_rules.fold_search(x.email) like leadgraph_rules.search_pattern(query)
      union
      select x.id from companies c join leads x on x.company_id = c.id
      where leadgraph_rules.fold_search(c.company_name) like leadgraph_rules.search_pattern(query))
$$;
comment on function search_leads(text) is E'@behavior +order +filterProc\nQuick search of leads by full name, email or company name, ignoring case and accents (jose finds José, muller finds Müller): the query anywhere in one of them. Takes the same filter and orderBy as leads; a blank query finds every lead.';
grant execute on function search_leads(text) to leadgraph_visitor;

------------------------------------------------------------------------------
-- Facets of the lead list: where a lead came from and the company's size are
-- indexed (PostGraphile filters indexed columns only), and whether any phone
-- is known is a filterable computed column.
create index leads_lead_source_idx on leads (lead_source);
create index companies_employee_count_idx on companies (employee_count);

create function leads_has_phone(l leads) returns boolean
  language sql stable
as $$
  select cardinality(l.phones) > 0 or l.phone is not null or l.mobile_phone is not null
$$;
comment on function leads_has_phone(leads) is E'Whether any phone number is known for the lead (phone, mobile phone or any of phones).';
grant execute on function leads_has_phone(leads) to leadgraph_visitor;

------------------------------------------------------------------------------
-- Changing a lead's status from the app: the status and a manual event in
-- the timeline, in one transaction. Security definer: the event records
-- what changed in raw_data, which visitors cannot write; it checks the
-- status first, and the event is the caller's.
create function set_lead_status(lead_id uuid, status text, note text default null) returns leads
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  -- The values of the check constraint leads_lead_status_check (a test compares them).
  statuses constant text[] := array['new', 'qualified', 'contacted', 'replied', 'interested', 'converted', 'unqualified',
                                    'do_not_contact'];
  previous text;
  result leads;
begin
  if status is null or not status = any (statuses) then
    raise exception 'Unknown lead status "%": a lead''s status is one of %', status, array_to_string(statuses, ', ')
      using errcode = '22023';
  end if;
  select l.lead_status into previous from leads l where l.id = set_lead_status.lead_id for update;
  if not found then
    raise exception 'No lead with id %', set_lead_status.lead_id using errcode = 'P0002';
  end if;
  -- The same status again changes nothing and adds nothing to the timeline.
  if previous is distinct from status then
    update leads l set lead_status = status where l.id = set_lead_status.lead_id;
    insert into events (event_source, event_type, lead_id, note_text, performed_by, raw_data)
    values ('manual', 'status_changed', set_lead_status.lead_id, nullif(btrim(note), ''), current_user_id(),
            jsonb_build_object('from', previous, 'to', status));
  end if;
  select * into result from leads l where l.id = set_lead_status.lead_id;
  return result;
end;
$$;
comment on function set_lead_status(uuid, text, text) is E'@resultFieldName lead\nSets a lead''s status (new, qualified, contacted, replied, interested, converted, unqualified, do_not_contact) and adds a manual status_changed event to its timeline, performed by the signed-in user, with the old and new status in rawData ({"from": ..., "to": ...}) and the optional note as its noteText. Setting the status it has changes nothing. An unknown status is refused.';
grant execute on function set_lead_status(uuid, text, text) to leadgraph_visitor;

-- The timeline's one-line summary of a status change says what changed.
create or replace function get_lead_timeline(lead_id uuid)
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
      when 'manual' then
        case when e.event_type = 'status_changed' and e.raw_data ? 'to'
             then concat('status ', e.raw_data ->> 'from', ' -> ', e.raw_data ->> 'to', ': ' || e.note_text)
             else coalesce(e.note_text, e.event_type) end
      else e.event_type
    end,
    e.campaign_id
  from events e
  where e.lead_id = get_lead_timeline.lead_id
  order by e.event_timestamp desc, e.id desc
$$;
