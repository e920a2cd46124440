--! Previous: sha1:ee883273ad47b8189b3028f643ee3fb8c00c6fc6
--! Hash: sha1:666882bf4e610e75b9b8259333114283e435c757
--! Message: CSV imports: rows that change nothing counted unchanged; leadgraph_rules.newest_non_empty (newer exports win, nothing blanked); cheaper phone rules

-- CSV imports count what changed, and newer exports win.

-- Which value a field keeps when a source gives one for something we know:
-- the newer source's non-empty value; an older source only fills an empty
-- field. Never blanks a value.
create or replace function leadgraph_rules.newest_non_empty(candidate_is_newer boolean, candidate anyelement, current anyelement)
  returns anyelement
  language sql immutable parallel safe
as $$
  select case when candidate_is_newer then coalesce(candidate, current) else coalesce(current, candidate) end
$$;
comment on function leadgraph_rules.newest_non_empty(boolean, anyelement, anyelement) is E'The value a field keeps: the candidate when it is newer and not null, else the current value, else the candidate (a value is never blanked).';

-- A row matching a known lead that it does not change is "unchanged" (a
-- re-import of the same file updates nothing).
alter table csv_import_rows drop constraint if exists csv_import_rows_outcome_check;
alter table csv_import_rows add constraint csv_import_rows_outcome_check
  check (outcome in ('inserted', 'updated', 'unchanged', 'duplicate', 'rejected'));
comment on column csv_import_rows.outcome is E'Null until processed; then inserted (new lead), updated (known lead changed), unchanged (known lead, nothing new), duplicate (same lead as an earlier row of this file), or rejected (see outcome_reason).';

alter table csv_imports_raw add column if not exists leads_unchanged integer not null default 0 check (leads_unchanged >= 0);
comment on column csv_imports_raw.leads_updated is E'Rows that changed a known lead (newer values, empty fields filled).';
comment on column csv_imports_raw.leads_unchanged is E'Rows that matched a known lead and changed nothing.';

comment on column companies.last_seen_in_csv_id is E'The newest CSV import (by upload time) that mentioned this company: its values of the fields that change over time (size, revenue, funding, technologies) are the company''s.';

-- Phones: the same rules, cheaper per row (a CSV import calls them for every
-- row, several times): clean_phone not strict, so the planner inlines it (an
-- empty input still gives null); phone_list a loop instead of a query per
-- call (bench:import: about five times faster).
create or replace function leadgraph_rules.clean_phone(phone text) returns text
  language sql immutable parallel safe
as $$
  select nullif(btrim(regexp_replace(btrim(phone), '^''+', '')), '')
$$;
create or replace function leadgraph_rules.phone_list(phones text[]) returns text[]
  language plpgsql immutable parallel safe
as $$
declare
  result text[] := '{}';
  phone text;
begin
  foreach phone in array coalesce(phones, '{}') loop
    phone := leadgraph_rules.clean_phone(phone);
    if phone is not null and not phone = any (result) then
      result := result || phone;
    end if;
  end loop;
  return result;
end;
$$;
