--! Previous: sha1:5fb674a465d680ee28bb3e1034d9721dc70575c0
--! Hash: sha1:46ab2b6ae915b9b2ad10cc9c1940026232ea45f6
--! Message: CSV imports: import records and every original row

-- Seed migration 003: CSV imports (raw layer).
-- The seed kept a whole CSV file as one jsonb array in csv_imports_raw.raw_data.
-- One jsonb value is capped at 255 MB, and any GraphQL client reading the
-- import would pull the whole file. So csv_imports_raw is the import record
-- (file, status, counts, errors) and every original row is kept, as read, in
-- csv_import_rows. Nothing of the file is lost and any import can be re-processed.

create table csv_imports_raw (
  id uuid primary key default gen_random_uuid(),
  file_name text not null,
  file_size_bytes bigint check (file_size_bytes >= 0),
  uploaded_by uuid references users (id) on delete set null,
  -- The header row as read, in file order (jsonb objects do not keep key order).
  headers text[],
  total_rows integer not null default 0 check (total_rows >= 0),
  import_status text not null default 'uploaded'
    check (import_status in ('uploaded', 'processing', 'completed', 'completed_with_errors', 'failed')),
  processed_rows integer not null default 0 check (processed_rows >= 0),
  failed_rows integer not null default 0 check (failed_rows >= 0),
  error_log jsonb,
  uploaded_at timestamptz not null default now(),
  processing_started_at timestamptz,
  processing_completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index csv_imports_raw_import_status_idx on csv_imports_raw (import_status);
create index csv_imports_raw_uploaded_at_idx on csv_imports_raw (uploaded_at desc);
create index csv_imports_raw_uploaded_by_idx on csv_imports_raw (uploaded_by);
create trigger _100_timestamps before insert or update on csv_imports_raw
  for each row execute function tg__timestamps();
alter table csv_imports_raw enable row level security;

comment on table csv_imports_raw is E'Raw layer: one row per uploaded CSV file (e.g. an Apollo export): the import record with its status and counts. The file''s rows are in csv_import_rows.';
comment on column csv_imports_raw.file_name is E'The uploaded file''s name.';
comment on column csv_imports_raw.file_size_bytes is E'Size of the uploaded file in bytes.';
comment on column csv_imports_raw.uploaded_by is E'The user who uploaded the file.';
comment on column csv_imports_raw.headers is E'The header row as read, in file order.';
comment on column csv_imports_raw.total_rows is E'Data rows in the file (header excluded).';
comment on column csv_imports_raw.import_status is E'uploaded (waiting for the worker), processing, completed, completed_with_errors (some rows rejected), failed (the import as a whole could not be processed).';
comment on column csv_imports_raw.processed_rows is E'Rows normalised so far (progress).';
comment on column csv_imports_raw.failed_rows is E'Rows rejected; each one''s reason is on its csv_import_rows row.';
comment on column csv_imports_raw.error_log is E'Summary of errors: rejection reasons with counts, or the error that failed the import.';
comment on column csv_imports_raw.uploaded_at is E'When the file was uploaded.';
comment on column csv_imports_raw.processing_started_at is E'When the worker started normalising it.';
comment on column csv_imports_raw.processing_completed_at is E'When the worker finished.';
comment on column csv_imports_raw.created_at is E'When the record was created.';
comment on column csv_imports_raw.updated_at is E'When the record last changed.';

create table csv_import_rows (
  id bigint primary key generated always as identity,
  csv_import_id uuid not null references csv_imports_raw (id) on delete cascade,
  row_number integer not null check (row_number >= 1),
  raw_row jsonb not null,
  outcome text check (outcome in ('inserted', 'updated', 'duplicate', 'rejected')),
  outcome_reason text,
  -- For a duplicate within the file: the row that won.
  duplicate_of_row_number integer,
  processed_at timestamptz,
  created_at timestamptz not null default now(),
  constraint csv_import_rows_import_row_key unique (csv_import_id, row_number),
  constraint csv_import_rows_rejected_has_reason check (outcome is distinct from 'rejected' or outcome_reason is not null)
);
create index csv_import_rows_outcome_idx on csv_import_rows (csv_import_id, outcome);
alter table csv_import_rows enable row level security;

comment on table csv_import_rows is E'Raw layer: every data row of every imported CSV, exactly as read (header -> value), with what normalisation made of it.';
comment on column csv_import_rows.csv_import_id is E'The import (file) the row belongs to.';
comment on column csv_import_rows.row_number is E'1-based data row number in the file (the header is row 0).';
comment on column csv_import_rows.raw_row is E'The row as read: an object of header -> cell text. Never modified.';
comment on column csv_import_rows.outcome is E'Null until processed; then inserted (new lead), updated (known lead enriched), duplicate (same lead as an earlier row of this file), or rejected (see outcome_reason).';
comment on column csv_import_rows.outcome_reason is E'Why the row was rejected or how it was matched.';
comment on column csv_import_rows.duplicate_of_row_number is E'For duplicates: the row number in this file that won.';
comment on column csv_import_rows.processed_at is E'When the row was last normalised.';
comment on column csv_import_rows.created_at is E'When the row was stored.';
