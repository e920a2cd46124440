--! Previous: sha1:25f09a8aa3538760a9f65ac4f9e29e489ff0b550
--! Hash: sha1:150b668ff02d0041aad23873ff9e7d8bb339f972
--! Message: token revocation: a token version per user (leadgraph_private.token_revocations), token_user_version() for the API's login to refuse tokens of users that do not exist or were revoked

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
