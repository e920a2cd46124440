--! Previous: sha1:a68202848fbfe6507a854d07d04adb7920cc05e4
--! Hash: sha1:6621a2040182d9ccff1bcb3a41bf750dff83247f
--! Message: CSV rows' outcomes in a narrow table: the rows as read in leadgraph_private.csv_import_raw_rows (written once), outcomes in leadgraph_private.csv_import_row_outcomes, csv_import_rows a view of both with the same API

-- CSV import rows: what normalisation made of each row moves out of the wide
-- row table into a narrow one. The rows as read (leadgraph_private.
-- csv_import_raw_rows) are written once, at upload, and never again; each
-- batch of the normaliser inserts (or, reprocessing, updates) small outcome
-- rows (leadgraph_private.csv_import_row_outcomes) instead of rewriting every
-- wide row with its JSON (a non-HOT update: outcome and lead_id are
-- indexed). The API keeps csv_import_rows as it was: a view of the two, with
-- the same columns, keys, relations, grants and insert (docs/decisions.md,
-- "CSV rows' outcomes in a narrow table").

alter table csv_import_rows rename to csv_import_raw_rows;
alter table csv_import_raw_rows set schema leadgraph_private;

create table leadgraph_private.csv_import_row_outcomes (
  -- (the import, not the raw row, is the foreign key: checking a raw row's
  -- key would lock it, writing to the wide table after all; raw rows are
  -- only ever deleted with their import)
  csv_import_id uuid not null references csv_imports_raw (id) on delete cascade,
  row_number integer not null,
  outcome text not null,
  outcome_reason text,
  duplicate_of_row_number integer,
  lead_id uuid references leads (id) on delete set null,
  processed_at timestamptz not null default now(),
  primary key (csv_import_id, row_number),
  constraint csv_import_rows_outcome_check
    check (outcome in ('inserted', 'updated', 'unchanged', 'duplicate', 'rejected')),
  constraint csv_import_rows_rejected_has_reason check (outcome <> 'rejected' or outcome_reason is not null)
);
-- (the import page's rows by outcome; a lead's rows, for merges and for
-- which import is a lead's newest)
create index csv_import_row_outcomes_outcome_idx on leadgraph_private.csv_import_row_outcomes (csv_import_id, outcome);
create index csv_import_row_outcomes_lead_id_idx on leadgraph_private.csv_import_row_outcomes (lead_id);
-- (only the owner reads it: the API reads the view)
alter table leadgraph_private.csv_import_row_outcomes enable row level security;
comment on table leadgraph_private.csv_import_row_outcomes is
  E'What normalisation made of each CSV row (one row per processed row of leadgraph_private.csv_import_raw_rows); public.csv_import_rows shows the two together.';

insert into leadgraph_private.csv_import_row_outcomes
  (csv_import_id, row_number, outcome, outcome_reason, duplicate_of_row_number, lead_id, processed_at)
select csv_import_id, row_number, outcome, outcome_reason, duplicate_of_row_number, lead_id, coalesce(processed_at, created_at)
from leadgraph_private.csv_import_raw_rows
where outcome is not null;

-- The comments of the columns the view keeps, before their columns go.
create temp table csv_import_rows_comments on commit drop as
select a.attname as column_name, col_description(a.attrelid, a.attnum) as description
from pg_attribute a
where a.attrelid = 'leadgraph_private.csv_import_raw_rows'::regclass and a.attnum > 0 and not a.attisdropped;

-- (their indexes, checks and the lead_id foreign key go with them)
alter table leadgraph_private.csv_import_raw_rows
  drop column outcome,
  drop column outcome_reason,
  drop column duplicate_of_row_number,
  drop column lead_id,
  drop column processed_at;
-- The row as read is an object of header -> cell text. Rows stored before
-- the check (migration 000033) are not checked: the normaliser rejects them.
alter table leadgraph_private.csv_import_raw_rows add constraint csv_import_rows_raw_row_is_object
  check (jsonb_typeof(raw_row) = 'object') not valid;
comment on table leadgraph_private.csv_import_raw_rows is
  E'Raw layer: every data row of every imported CSV, exactly as read (header -> value). Written once, at upload; public.csv_import_rows shows them with their outcomes.';
-- (the raw layer's policies stay on the table; the API reads the view)
revoke all on leadgraph_private.csv_import_raw_rows from leadgraph_visitor;

create view csv_import_rows as
select r.id, r.csv_import_id, r.row_number, r.raw_row,
       o.outcome, o.outcome_reason, o.duplicate_of_row_number, o.processed_at,
       r.created_at, o.lead_id
from leadgraph_private.csv_import_raw_rows r
left join leadgraph_private.csv_import_row_outcomes o on o.csv_import_id = r.csv_import_id and o.row_number = r.row_number;

comment on view csv_import_rows is E'@primaryKey id\n@unique csv_import_id,row_number\n@foreignKey (csv_import_id) references csv_imports_raw (id)|@foreignFieldName rows\n@foreignKey (lead_id) references leads (id)\n@behavior -update -delete\nRaw layer: every data row of every imported CSV, exactly as read (header -> value), with what normalisation made of it.';
do $$
declare
  c record;
begin
  for c in select * from pg_temp.csv_import_rows_comments loop
    execute format('comment on column csv_import_rows.%I is %L', c.column_name,
      -- (what the table did not index stays out of filters and ordering, as before)
      -- (a view's columns may all be null to PostgreSQL; these never are)
      case when c.column_name in ('csv_import_id', 'row_number', 'raw_row', 'created_at') then E'@notNull\n' else '' end ||
      case when c.column_name in ('raw_row', 'outcome_reason', 'duplicate_of_row_number', 'processed_at', 'created_at')
           then E'@behavior -filterBy -orderBy\n' else '' end || c.description);
  end loop;
end
$$;
-- events.csv_import_row_id (a LinkedIn touch's row) keeps its foreign key to
-- the raw table; GraphQL, which sees only public, gets it on the view.
do $$
begin
  execute format('comment on table events is %L',
    E'@foreignKey (csv_import_row_id) references csv_import_rows (id)|@fieldName csvImportRow|@foreignFieldName events\n' || obj_description('events'::regclass, 'pg_class'));
end
$$;

grant select on csv_import_rows to leadgraph_visitor;
grant insert (csv_import_id, row_number, raw_row) on csv_import_rows to leadgraph_visitor;

-- An insert into the view (GraphQL's createCsvImportRow, SQL) stores the row
-- as read, and its outcome when one is given (tests, restores). A visitor may
-- add rows to their own imports only: the policy the table had.
create function leadgraph_private.tg_csv_import_rows__insert() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  -- (inside a security definer function current_user is the owner; the role
  -- the caller had set stays in the setting)
  caller name := case when current_setting('role') = 'none' then session_user else current_setting('role') end;
begin
  if caller <> current_user and not coalesce((select rolsuper from pg_roles where rolname = caller), false)
     and not exists (select 1 from csv_imports_raw i where i.id = new.csv_import_id and i.uploaded_by = current_user_id()) then
    raise exception 'new row violates row-level security policy for table "csv_import_rows"'
      using errcode = '42501', detail = 'Rows can be added only to an import of your own.';
  end if;
  insert into leadgraph_private.csv_import_raw_rows (csv_import_id, row_number, raw_row)
  values (new.csv_import_id, new.row_number, new.raw_row)
  returning id, created_at into new.id, new.created_at;
  if new.outcome is not null then
    insert into leadgraph_private.csv_import_row_outcomes
      (csv_import_id, row_number, outcome, outcome_reason, duplicate_of_row_number, lead_id, processed_at)
    values (new.csv_import_id, new.row_number, new.outcome, new.outcome_reason, new.duplicate_of_row_number, new.lead_id,
            coalesce(new.processed_at, now()))
    returning processed_at into new.processed_at;
  end if;
  return new;
end;
$$;
comment on function leadgraph_private.tg_csv_import_rows__insert() is
  E'Trigger function: an insert into the csv_import_rows view stores the row as read (and its outcome, when given); a visitor only into their own imports.';
create trigger _100_insert instead of insert on csv_import_rows
  for each row execute function leadgraph_private.tg_csv_import_rows__insert();

-- Merging two leads moves the rows' outcomes to the lead kept.
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
  update leadgraph_private.csv_import_row_outcomes set lead_id = kept where lead_id = merged;

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

-- An upload through the API (POST /imports, the web app) runs as the visitor,
-- who has no access to the raw table: its rows, copied into the session's
-- temp table csv_upload_rows (src/sources/csv/upload.ts), go in here, in one
-- insert, into an import of the caller's own.
create function store_csv_upload_rows(import_id uuid) returns bigint
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  caller name := case when current_setting('role') = 'none' then session_user else current_setting('role') end;
  stored bigint;
begin
  if caller <> current_user and not coalesce((select rolsuper from pg_roles where rolname = caller), false)
     and not exists (select 1 from csv_imports_raw i where i.id = import_id and i.uploaded_by = current_user_id()) then
    raise exception 'new row violates row-level security policy for table "csv_import_rows"'
      using errcode = '42501', detail = 'Rows can be added only to an import of your own.';
  end if;
  insert into leadgraph_private.csv_import_raw_rows (csv_import_id, row_number, raw_row)
  select store_csv_upload_rows.import_id, u.row_number, u.raw_row from pg_temp.csv_upload_rows u;
  get diagnostics stored = row_count;
  return stored;
end;
$$;
comment on function store_csv_upload_rows(uuid) is
  E'@behavior -queryField -mutationField\nStores the rows of an upload (the session''s temp table csv_upload_rows) into an import of the caller''s own; returns how many.';
revoke execute on function store_csv_upload_rows(uuid) from public;
grant execute on function store_csv_upload_rows(uuid) to leadgraph_visitor;
