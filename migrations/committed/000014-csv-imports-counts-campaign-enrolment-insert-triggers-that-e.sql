--! Previous: sha1:62adf2092fd28bc93b0c3be10259eeabfed48fc4
--! Hash: sha1:ad931c38813f4cc6381f0c6b2ed26f590139305c
--! Message: CSV imports: counts, campaign enrolment, insert triggers that enqueue the normalisation, reprocess_csv_import, uploads through GraphQL

-- CSV imports, part 1: what the import record tracks, and the trigger that
-- starts the work. Inserting an import and its rows, from any client (CLI,
-- HTTP upload, GraphQL, SQL), enqueues the worker job that normalises it
-- (tasks/csv_imports_raw__normalize.ts); nothing else does.

alter table csv_imports_raw
  add column campaign_id uuid references campaigns (id) on delete set null,
  add column leads_inserted integer not null default 0 check (leads_inserted >= 0),
  add column leads_updated integer not null default 0 check (leads_updated >= 0),
  add column duplicate_rows integer not null default 0 check (duplicate_rows >= 0),
  add column companies_inserted integer not null default 0 check (companies_inserted >= 0),
  add column companies_matched integer not null default 0 check (companies_matched >= 0);
create index csv_imports_raw_campaign_id_idx on csv_imports_raw (campaign_id);
comment on column csv_imports_raw.campaign_id is E'Enrol the imported leads in this campaign (as pending campaign_leads).';
comment on column csv_imports_raw.leads_inserted is E'Rows that created a new lead.';
comment on column csv_imports_raw.leads_updated is E'Rows that matched a known lead (filled its empty fields, refreshed its Apollo data).';
comment on column csv_imports_raw.duplicate_rows is E'Rows repeating an earlier row of the same file (same email, or LinkedIn URL without email).';
comment on column csv_imports_raw.companies_inserted is E'Companies this import created.';
comment on column csv_imports_raw.companies_matched is E'Known companies this import''s rows matched.';

-- One job per import (job_key): enqueueing again replaces a job still
-- waiting, so several statements adding rows end in one run.
-- (plpgsql: its body refers to graphile_worker, installed after our migrations)
create function enqueue_csv_import_normalization(import_id uuid, delay interval) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform graphile_worker.add_job(
    identifier => 'csv_imports_raw__normalize',
    payload => json_build_object('id', import_id),
    run_at => now() + delay,
    job_key => 'csv_imports_raw:' || import_id,
    job_key_mode => 'replace'
  );
end;
$$;
comment on function enqueue_csv_import_normalization(uuid, interval) is E'@behavior -queryField -mutationField\n(Re)schedules the normalisation of a CSV import.';
revoke execute on function enqueue_csv_import_normalization(uuid, interval) from public;

-- Debounced: every statement that adds rows pushes the job a second later,
-- so it runs once the upload is complete (a single-transaction upload
-- enqueues it once, at commit).
create function tg_csv_imports__enqueue() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if TG_TABLE_NAME = 'csv_imports_raw' then
    perform enqueue_csv_import_normalization(id, interval '1 second') from new_rows;
  else
    perform enqueue_csv_import_normalization(csv_import_id, interval '1 second') from (select distinct csv_import_id from new_rows) r;
  end if;
  return null;
end;
$$;
comment on function tg_csv_imports__enqueue() is E'Trigger function: (re)schedules the normalisation of the imports a statement created or added rows to.';

create trigger _900_enqueue after insert on csv_imports_raw referencing new table as new_rows
  for each statement execute function tg_csv_imports__enqueue();
create trigger _900_enqueue after insert on csv_import_rows referencing new table as new_rows
  for each statement execute function tg_csv_imports__enqueue();

-- Re-normalise an import from its stored rows (after a logic or schema change).
create function reprocess_csv_import(import_id uuid) returns csv_imports_raw
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  result csv_imports_raw;
begin
  update csv_imports_raw set import_status = 'uploaded' where id = import_id returning * into result;
  if result.id is null then
    raise exception 'No CSV import with id %', import_id using errcode = 'P0002';
  end if;
  perform enqueue_csv_import_normalization(import_id, interval '0');
  return result;
end;
$$;
comment on function reprocess_csv_import(uuid) is E'Normalises a CSV import again from its stored rows (after a change of logic or schema).';
grant execute on function reprocess_csv_import(uuid) to leadgraph_visitor;

-- Uploads through GraphQL: a visitor may add an import and its rows (never
-- change or delete them); the import is theirs.
comment on table csv_imports_raw is E'@behavior -update -delete\nRaw layer: one row per uploaded CSV file (e.g. an Apollo export): the import record with its status and counts. The file''s rows are in csv_import_rows. Inserting one (and its rows) starts the normalisation.';
comment on table csv_import_rows is E'@behavior -update -delete\nRaw layer: every data row of every imported CSV, exactly as read (header -> value), with what normalisation made of it.';
grant insert (file_name, file_size_bytes, headers, total_rows, campaign_id) on csv_imports_raw to leadgraph_visitor;
grant insert (csv_import_id, row_number, raw_row) on csv_import_rows to leadgraph_visitor;
create policy insert_own on csv_imports_raw for insert with check (uploaded_by = current_user_id());
create policy insert_own_rows on csv_import_rows for insert with check (
  exists (select 1 from csv_imports_raw i where i.id = csv_import_id and i.uploaded_by = current_user_id())
);
