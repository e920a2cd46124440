--! Previous: sha1:25f09a8aa3538760a9f65ac4f9e29e489ff0b550
--! Hash: sha1:ec25fabddc5a53a6a833122ea578d22f76263a5d
--! Message: CSV imports hardened: reprocess_csv_import only for the uploader, rows are JSON objects, the file's encoding recorded, parse_number for numbers as written, a lead's email checked by is_email

-- CSV imports hardened against what a hostile probe found (issue 13, section 5).
-- Re-runnable: what it replaces is dropped first.

alter table csv_import_rows drop constraint if exists csv_import_rows_raw_row_is_object;
alter table csv_imports_raw drop constraint if exists csv_imports_raw_source_encoding_check;
drop trigger if exists _300_email_is_email on leads;

------------------------------------------------------------------------------
-- reprocess_csv_import: only the uploader may run their import again. A
-- security definer (it enqueues through leadgraph_private), so it checks the
-- caller itself: a visitor (a GraphQL request, an upload as a user) only for
-- the imports whose uploaded_by is theirs, like the ownership policies;
-- the owner (the CLI's --reprocess, renormalize, SQL) any import.
create or replace function reprocess_csv_import(import_id uuid) returns csv_imports_raw
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, leadgraph_private, pg_temp
as $$
declare
  -- Who called: inside a security definer function current_user is the
  -- owner, but the role the caller had set stays in the setting.
  caller name := case when current_setting('role') = 'none' then session_user else current_setting('role') end;
  uploader uuid;
  result csv_imports_raw;
begin
  select i.uploaded_by into uploader from csv_imports_raw i where i.id = import_id for update;
  if not found then
    raise exception 'No CSV import with id %', import_id using errcode = 'P0002';
  end if;
  if caller <> current_user and not coalesce((select rolsuper from pg_roles where rolname = caller), false)
     and uploader is distinct from current_user_id() then
    raise exception 'CSV import % was uploaded by another user: only its uploader can reprocess it', import_id
      using errcode = '42501';
  end if;
  update csv_imports_raw i set import_status = 'uploaded' where i.id = import_id returning * into result;
  perform enqueue_csv_import_normalization(import_id, interval '0');
  return result;
end;
$$;
comment on function reprocess_csv_import(uuid) is
  E'Normalises a CSV import again from its stored rows (after a change of logic or schema). Only its uploader may.';

------------------------------------------------------------------------------
-- A row is an object of header -> cell text (the upload writes nothing
-- else; a GraphQL insert of an array or a number is refused here, with the
-- constraint's name saying why). A row stored before this check may still
-- be something else: the normaliser rejects it with a reason (key-rows),
-- which is the only change such a row ever sees.
alter table csv_import_rows add constraint csv_import_rows_raw_row_is_object
  check (jsonb_typeof(raw_row) = 'object' or outcome is not distinct from 'rejected') not valid;

------------------------------------------------------------------------------
-- The encoding the upload read the file in (src/sources/csv/reader.ts):
-- UTF-8, or a Windows-1252 or UTF-16 file converted to UTF-8 on the way in.
alter table csv_imports_raw add column if not exists source_encoding text;
alter table csv_imports_raw add constraint csv_imports_raw_source_encoding_check
  check (source_encoding in ('utf-8', 'windows-1252', 'utf-16le', 'utf-16be'));
comment on column csv_imports_raw.source_encoding is
  E'The character encoding the file was read in: utf-8, or windows-1252, utf-16le or utf-16be (converted to UTF-8: the rows hold the same characters). Null for imports not read from a file (rows inserted through GraphQL or SQL).';
grant insert (source_encoding) on csv_imports_raw to leadgraph_visitor;

------------------------------------------------------------------------------
-- A number cell as people write them: 1200, 1200.50, and with grouping,
-- European or English (1.200, 1.200,50, 1 200, 1'200, 1,200.50). One
-- separator followed by exactly three digits (1.200, 1,200) is grouping:
-- employee counts and amounts are whole numbers far more often than
-- thousandths. Anything else is null (the cell stays in raw_row).
create or replace function leadgraph_rules.parse_number(cell text) returns numeric
  language sql immutable parallel safe
as $$
  select case
    -- digits, or one decimal separator (not a grouping: that is below)
    when n ~ '^[0-9]{1,30}([.,][0-9]{1,30})?$' and n !~ '^[1-9][0-9]{0,2}[.,][0-9]{3}$' then replace(n, ',', '.')::numeric
    when n ~ '^[1-9][0-9]{0,2}(\.[0-9]{3}){1,10}(,[0-9]{1,30})?$' then replace(replace(n, '.', ''), ',', '.')::numeric
    when n ~ '^[1-9][0-9]{0,2}(,[0-9]{3}){1,10}(\.[0-9]{1,30})?$' then replace(n, ',', '')::numeric
  end
  -- (spaces and apostrophes between digits group them: 1 200, 1 200 with a no-break space, 1'200)
  from (select regexp_replace(btrim(cell), '([0-9])[ \u00a0\u202f\u2009'']+(?=[0-9])', '\1', 'g') as n) x
$$;
comment on function leadgraph_rules.parse_number(text) is
  E'A number as written in a spreadsheet cell: 1200, 1200.50, 1200,50, or grouped (1.200, 1.200,50, 1 200, 1''200, 1,200.50); null if it is not one.';

------------------------------------------------------------------------------
-- A lead's email is an address (leadgraph_rules.is_email, the one rule the
-- normalisers apply), not anything with an @ in it: `x@y.test'--` written
-- through GraphQL is refused. Checked when an email is written, after the
-- normal form (_200_normalize): a trigger, not a check constraint, so a lead
-- stored before with an address the rule refuses can still be changed
-- otherwise. It replaces the check of 000006 (email like '%_@_%').
create or replace function leadgraph_private.tg_leads__email_is_email() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not leadgraph_rules.is_email(NEW.email) then
    raise exception 'Not an email address: "%" (one @, a local part without spaces, quotes or brackets, a domain name)', left(NEW.email, 200)
      using errcode = 'check_violation', constraint = 'leads_email_is_email', table = 'leads', column = 'email';
  end if;
  return NEW;
end;
$$;
comment on function leadgraph_private.tg_leads__email_is_email() is
  E'Trigger function: refuses a lead email that leadgraph_rules.is_email does not accept.';
create trigger _300_email_is_email before insert or update of email on leads
  for each row when (NEW.email is not null) execute function leadgraph_private.tg_leads__email_is_email();
alter table leads drop constraint if exists leads_email_check;
