--! Previous: sha1:25f09a8aa3538760a9f65ac4f9e29e489ff0b550
--! Hash: sha1:6d8b54385bb1bc14de75cee69abaaa9cc93256cb
--! Message: Issue 13: csv import hardening (reprocess ownership, raw rows are objects, source_encoding, parse_number, email rule), grouped_aggregates_over_limit, timestamptz_or_null for PostgreSQL 15, token versions for revocation, worker_pools for recovering dead workers' jobs

-- from: 000033-csv-imports-hardened-reprocess_csv_import-only-for-the-uploa.sql

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

-- from: 000033-grouped_aggregates_over_limit-the-error-a-groupedaggregates-.sql

-- groupedAggregates has no page of its own: grouping events by timestamp
-- returned 129,605 groups in one response. The API adds to each grouped
-- statement `case when count(*) over () > MAX_GROUPS then
-- grouped_aggregates_over_limit(MAX_GROUPS) end` (src/graphql/limits.ts), so
-- past the limit the statement fails with this message instead of returning
-- the groups. Volatile, so the planner never evaluates it ahead of the case.
drop function if exists grouped_aggregates_over_limit(integer);

create function grouped_aggregates_over_limit(max_groups integer) returns text
language plpgsql volatile as $$
begin
  raise exception 'groupedAggregates found more than % groups, the maximum (MAX_GROUPS): group by fewer or coarser keys, or filter the connection first', max_groups
    using errcode = 'P0001', hint = 'MAX_GROUPS';
end
$$;
comment on function grouped_aggregates_over_limit(integer) is
  E'@behavior -queryField -mutationField\nRaises the error a groupedAggregates with more than MAX_GROUPS groups ends with (src/graphql/limits.ts).';

-- from: 000033-timestamptz_or_null-and-timestamp_or_null-the-linkedin-norma.sql

-- PostgreSQL 15: the LinkedIn normaliser asked pg_input_is_valid() (16+)
-- whether a timestamp cell parses. These two helpers answer with the value
-- or null on every version 15-18: the cast in a block that catches data
-- exceptions, which pg_input_is_valid() reports as false. (The block costs
-- about 0.5 us per valid value and 3 us per invalid one, on PostgreSQL 15.)
drop function if exists leadgraph_private.timestamptz_or_null(text);
drop function if exists leadgraph_private.timestamp_or_null(text);

create function leadgraph_private.timestamptz_or_null(value text) returns timestamptz
  language plpgsql stable parallel safe
as $$
begin
  return value::timestamptz;
exception when data_exception then
  return null;
end;
$$;
comment on function leadgraph_private.timestamptz_or_null(text) is
  E'The text as a timestamptz, or null where it is not one (a cell of a CSV file: an impossible date, an unknown zone).';

create function leadgraph_private.timestamp_or_null(value text) returns timestamp
  language plpgsql stable parallel safe
as $$
begin
  return value::timestamp;
exception when data_exception then
  return null;
end;
$$;
comment on function leadgraph_private.timestamp_or_null(text) is
  E'The text as a timestamp without zone, or null where it is not one (a cell of a CSV file: an impossible date or time).';

revoke execute on function leadgraph_private.timestamptz_or_null(text), leadgraph_private.timestamp_or_null(text) from public;

-- from: 000033-token-revocation-a-token-version-per-user-leadgraph_private-.sql

-- Token revocation and tokens of users that do not exist (issue 13, §5.12).
-- A token names its user (`sub`) and the user's token version when it was
-- minted (`ver`, 0 before any revocation). `leadgraph token --revoke` moves
-- the version on: every token minted before stops working. The API checks
-- each token's user and version through token_user_version() (src/auth.ts
-- TokenUsers, cached a few seconds per process), so a token whose user was
-- deleted reads nothing either.

drop function if exists token_user_version(uuid);
drop function if exists leadgraph_private.revoke_tokens(uuid);
drop table if exists leadgraph_private.token_revocations;

create table leadgraph_private.token_revocations (
  user_id uuid primary key references users (id) on delete cascade,
  token_version integer not null check (token_version > 0),
  revoked_at timestamptz not null default now()
);
alter table leadgraph_private.token_revocations enable row level security;
comment on table leadgraph_private.token_revocations is E'Users whose tokens were revoked (`leadgraph token --revoke`); a user without a row is at token version 0.';
comment on column leadgraph_private.token_revocations.user_id is E'The user.';
comment on column leadgraph_private.token_revocations.token_version is E'The version a token must carry in its `ver` claim; tokens minted before the last revocation carry a lower one.';
comment on column leadgraph_private.token_revocations.revoked_at is E'When the tokens were last revoked.';

-- The API's login has no rights of its own (src/database/roles.ts): this is
-- the one thing it may ask outside a request, and it reveals only a number.
create function token_user_version(user_id uuid) returns integer
  language sql stable security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(r.token_version, 0)
  from users u left join leadgraph_private.token_revocations r on r.user_id = u.id
  where u.id = token_user_version.user_id
$$;
comment on function token_user_version(uuid) is E'@behavior -queryField -mutationField\nThe token version a token of this user must carry, or null when there is no such user (the API refuses the token).';
revoke execute on function token_user_version(uuid) from public;
grant execute on function token_user_version(uuid) to leadgraph_authenticator;

-- For the owner only (`leadgraph token --revoke`): returns the new version.
create function leadgraph_private.revoke_tokens(user_id uuid) returns integer
  language sql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
  insert into leadgraph_private.token_revocations as r (user_id, token_version)
  values (revoke_tokens.user_id, 1)
  on conflict (user_id) do update set token_version = r.token_version + 1, revoked_at = now()
  returning token_version
$$;
comment on function leadgraph_private.revoke_tokens(uuid) is E'Voids every token of this user minted so far; returns the version new tokens carry.';
revoke execute on function leadgraph_private.revoke_tokens(uuid) from public;

-- from: 000033-worker_pools-the-running-graphile-worker-pools-each-holding-.sql

-- The graphile-worker pools that are running, so that a worker starting (and
-- each worker once a minute) gives back the jobs of pools that died (kill -9,
-- a crash, a lost machine) instead of leaving them locked for graphile-worker's
-- 4 hours. A live pool holds a session advisory lock on its lock_id for as long
-- as it runs; a free lock means its process is gone (src/database/worker-pools.ts).
drop table if exists leadgraph_private.worker_pools;

create table leadgraph_private.worker_pools (
  pool_id text primary key,
  lock_id integer not null generated always as identity (cycle) unique,
  hostname text not null,
  pid integer not null,
  started_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);
alter table leadgraph_private.worker_pools enable row level security;
comment on table leadgraph_private.worker_pools is E'Running graphile-worker pools of leadgraph processes: a pool whose advisory lock is free has died, and its locked jobs are given back to the queue.';
comment on column leadgraph_private.worker_pools.pool_id is E'graphile-worker''s pool id, what it writes in graphile_worker jobs'' locked_by.';
comment on column leadgraph_private.worker_pools.lock_id is E'The pool holds the session advisory lock (worker pool lock class, lock_id) while it runs.';
comment on column leadgraph_private.worker_pools.hostname is E'The machine of its process.';
comment on column leadgraph_private.worker_pools.pid is E'Its process id on that machine.';
comment on column leadgraph_private.worker_pools.started_at is E'When the pool started.';
comment on column leadgraph_private.worker_pools.last_seen_at is E'When its process last said it was alive (every few seconds).';
