--! Previous: -
--! Hash: sha1:7c8eb65fcf6051b2756eceb303786ee347cd1a38
--! Message: users: the default user, shared updated_at trigger

-- Seed migration 001: users.
-- Single-user today (one default user owns everything), ready for multi-user:
-- the GraphQL layer maps each request to a user and RLS does the rest.

-- Shared trigger function: keeps updated_at honest on every table that has one.
create function tg__timestamps() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  NEW.created_at = case when TG_OP = 'INSERT' then coalesce(NEW.created_at, now()) else OLD.created_at end;
  NEW.updated_at = case when TG_OP = 'UPDATE' and OLD.updated_at >= now() then OLD.updated_at + interval '1 millisecond' else now() end;
  return NEW;
end;
$$;
comment on function tg__timestamps() is E'Trigger function: sets created_at on insert (keeping it on update) and updated_at on every write.';

create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null unique check (email = lower(btrim(email)) and email like '%_@_%'),
  full_name text not null,
  organization text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger _100_timestamps before insert or update on users
  for each row execute function tg__timestamps();
alter table users enable row level security;

comment on table users is E'People who use leadgraph. Single-user mode today: everything belongs to the default user; the schema is ready for several.';
comment on column users.id is E'Primary key. The default user has the fixed id 00000000-0000-0000-0000-000000000001.';
comment on column users.email is E'Login email, stored lower-case and trimmed; unique.';
comment on column users.full_name is E'Display name.';
comment on column users.organization is E'Optional organisation (company) name.';
comment on column users.created_at is E'When the user was created.';
comment on column users.updated_at is E'When the user was last changed.';

-- The default user (the seed's single-user mode). A fixed id so that code and
-- tokens can name it without a lookup.
insert into users (id, email, full_name, organization)
values ('00000000-0000-0000-0000-000000000001', 'owner@leadgraph.local', 'Default User', null)
on conflict do nothing;
