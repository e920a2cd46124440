--! Previous: sha1:6621a2040182d9ccff1bcb3a41bf750dff83247f
--! Hash: sha1:d5c79c1cb3468bd89b1b329ffa667af2a88a0f4a
--! Message: One rule for who may change a CSV import: leadgraph_private.caller_may_change_csv_import() replaces the three copies in reprocess_csv_import, the csv_import_rows view's insert trigger and store_csv_upload_rows; the raw rows' table loses the policies nothing evaluated

-- Who may add rows to a CSV import, or reprocess it, is one rule in one
-- place: the connection's own role (the CLI, the worker, tests, whoever owns
-- the schema) or a superuser always; a visitor only for an import they
-- uploaded. 000033 and 000038 wrote it three times (reprocess_csv_import,
-- the csv_import_rows view's insert trigger, store_csv_upload_rows).
--
-- Security definer, so that current_user inside it is always the owner: the
-- role the request set (PostGraphile's `set role`) stays in the `role`
-- setting, and that is the caller compared with it.
create or replace function leadgraph_private.caller_may_change_csv_import(import_id uuid) returns boolean
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  with caller as (
    select case when current_setting('role') = 'none' then session_user else current_setting('role') end::name as name
  )
  select caller.name = current_user
      or coalesce((select r.rolsuper from pg_roles r where r.rolname = caller.name), false)
      or exists (select 1 from csv_imports_raw i
                 where i.id = caller_may_change_csv_import.import_id and i.uploaded_by = current_user_id())
  from caller;
$$;
comment on function leadgraph_private.caller_may_change_csv_import(uuid) is
  E'Whether the caller may add rows to or reprocess this CSV import: the schema''s owner and superusers may; a visitor only for an import they uploaded.';
revoke execute on function leadgraph_private.caller_may_change_csv_import(uuid) from public;

create or replace function reprocess_csv_import(import_id uuid) returns csv_imports_raw
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, leadgraph_private, pg_temp
as $$
declare
  result csv_imports_raw;
begin
  perform 1 from csv_imports_raw i where i.id = import_id for update;
  if not found then
    raise exception 'No CSV import with id %', import_id using errcode = 'P0002';
  end if;
  if not leadgraph_private.caller_may_change_csv_import(import_id) then
    raise exception 'CSV import % was uploaded by another user: only its uploader can reprocess it', import_id
      using errcode = '42501';
  end if;
  update csv_imports_raw i set import_status = 'uploaded' where i.id = import_id returning * into result;
  perform enqueue_csv_import_normalization(import_id, interval '0');
  return result;
end;
$$;

create or replace function leadgraph_private.tg_csv_import_rows__insert() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not leadgraph_private.caller_may_change_csv_import(new.csv_import_id) then
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

create or replace function store_csv_upload_rows(import_id uuid) returns bigint
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  stored bigint;
begin
  if not leadgraph_private.caller_may_change_csv_import(import_id) then
    raise exception 'new row violates row-level security policy for table "csv_import_rows"'
      using errcode = '42501', detail = 'Rows can be added only to an import of your own.';
  end if;
  insert into leadgraph_private.csv_import_raw_rows (csv_import_id, row_number, raw_row)
  select store_csv_upload_rows.import_id, u.row_number, u.raw_row from pg_temp.csv_upload_rows u;
  get diagnostics stored = row_count;
  return stored;
end;
$$;

-- The raw rows' table kept the policies it had in public (000010, 000014);
-- visitors reach it only through the view and the functions above now, so
-- nothing evaluated them. Row-level security stays on: only the owner reads it.
drop policy if exists select_all on leadgraph_private.csv_import_raw_rows;
drop policy if exists insert_own_rows on leadgraph_private.csv_import_raw_rows;
