--! Previous: sha1:6d8b54385bb1bc14de75cee69abaaa9cc93256cb
--! Hash: sha1:1bd88b0b05cdc89c8aac1528024e719359d71997
--! Message: deletes through the API: refused when they would take rows of sources or other users (23001); leadgraph_private.deletions keeps every row a request deleted

-- Deletes through the API (issue 13, 5.5): deleting a lead cascaded to its
-- whole timeline, Instantly's events and other users' notes included, which a
-- visitor may not delete one by one (policy delete_own_manual on events, 000010),
-- and to its call requests (read-only to visitors, 000023). Now a delete by the
-- visitor role (every GraphQL request) of a lead, a campaign or a campaign
-- membership that would take such rows with it, or change them (events of a
-- campaign keep their history unlinked, 000009), is refused with
-- restrict_violation (23001) and a message that counts what holds it; the
-- same on PostgreSQL 15-18, as a trigger raises it (an FK's RESTRICT says
-- 23503 before 18). A row without such dependents can still be deleted.
-- The owner (migrations, the worker, renormalize, `leadgraph` commands) is
-- not held: the guards fire for the visitor role only (`current_user` in the
-- trigger's WHEN; a foreign key's cascade runs as the table owner, so only the
-- row the visitor named is checked).
-- Every row a GraphQL request deletes, directly or by a cascade, is kept in
-- leadgraph_private.deletions with who (the token's user), when and the row.
-- Maintenance deletes (renormalize rebuilds Instantly's events whole) are
-- not recorded: the audit is of what people did.
drop trigger if exists _100_restrict_delete on leads;
drop trigger if exists _100_restrict_delete on campaigns;
drop trigger if exists _100_restrict_delete on campaign_leads;
drop trigger if exists _800_audit_deletion on leads;
drop trigger if exists _800_audit_deletion on campaigns;
drop trigger if exists _800_audit_deletion on campaign_leads;
drop trigger if exists _800_audit_deletion on companies;
drop trigger if exists _800_audit_deletion on offers;
drop trigger if exists _800_audit_deletion on events;
drop function if exists leadgraph_private.tg__audit_deletion();
drop function if exists leadgraph_private.tg__restrict_delete();
drop function if exists leadgraph_private.deletion_holders(text, uuid);
drop function if exists leadgraph_private.count_phrase(bigint, text, text);
drop table if exists leadgraph_private.deletions;

create table leadgraph_private.deletions (
  id bigint primary key generated always as identity,
  table_name text not null,
  row_id text not null,
  deleted_by uuid,
  deleted_at timestamptz not null default now(),
  transaction_id xid8 not null default pg_current_xact_id(),
  old_row jsonb not null
);
create index deletions_row_idx on leadgraph_private.deletions (table_name, row_id);
create index deletions_deleted_at_idx on leadgraph_private.deletions (deleted_at);
alter table leadgraph_private.deletions enable row level security;
comment on table leadgraph_private.deletions is
  E'Every row deleted through the API (the visitor role), by the delete itself or by a foreign key''s cascade: the audit of what people deleted. Not in GraphQL; read it as the owner.';
comment on column leadgraph_private.deletions.table_name is E'The table the row was in (public schema), e.g. leads, events.';
comment on column leadgraph_private.deletions.row_id is E'The row''s id, as text.';
comment on column leadgraph_private.deletions.deleted_by is
  E'The user whose request deleted it (current_user_id(), from the token); not a foreign key, so the record outlives the user.';
comment on column leadgraph_private.deletions.deleted_at is E'When (the start of the deleting transaction).';
comment on column leadgraph_private.deletions.transaction_id is
  E'The deleting transaction: the row a request deleted and those its cascades took with it (a lead''s own notes, a campaign''s memberships) share it.';
comment on column leadgraph_private.deletions.old_row is E'The row as it was (to_jsonb), to restore it from.';

-- "1 event" / "12 events".
create function leadgraph_private.count_phrase(n bigint, singular text, plural text) returns text
  language sql immutable strict parallel safe
as $$
  select n || ' ' || case when n = 1 then singular else plural end
$$;
comment on function leadgraph_private.count_phrase(bigint, text, text) is E'A count with its noun: 1 event, 12 events.';

-- What a visitor could not delete or change itself that deleting the row
-- whose id is in column `key` of events and vapi_call_requests (lead_id,
-- campaign_id or campaign_lead_id: both tables name them alike) would
-- delete or change: events from a source, manual events of other users,
-- call requests. Counts only, never values: the message reaches the client.
create function leadgraph_private.deletion_holders(key text, row_id uuid) returns text[]
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  holders text[];
begin
  if key not in ('lead_id', 'campaign_id', 'campaign_lead_id') then
    raise exception 'deletion_holders: unknown key %', key using errcode = '22023';
  end if;
  execute format($sql$
    select coalesce(array_agg(phrase order by rank, n desc), '{}')
      from (select 1 as rank, count(*) as n,
                   leadgraph_private.count_phrase(count(*), 'event', 'events') || ' from ' ||
                   case e.event_source when 'instantly' then 'Instantly' when 'vapi' then 'VAPI'
                                       when 'linkedin' then 'LinkedIn' else e.event_source end as phrase
              from events e where e.%1$I = $1 and e.event_source <> 'manual'
             group by e.event_source
            union all
            select 2, count(*), leadgraph_private.count_phrase(count(*), 'note or other manual event',
                                                               'notes or other manual events') || ' of other users'
              from events e
             where e.%1$I = $1 and e.event_source = 'manual' and e.performed_by is distinct from current_user_id()
            having count(*) > 0
            union all
            select 3, count(*), leadgraph_private.count_phrase(count(*), 'call request', 'call requests')
              from vapi_call_requests r where r.%1$I = $1
            having count(*) > 0) holders
  $sql$, key) into holders using row_id;
  return holders;
end;
$$;
comment on function leadgraph_private.deletion_holders(text, uuid) is
  E'What keeps the row with this id in the given column (lead_id, campaign_id, campaign_lead_id) from being deleted through the API, as phrases: "12 events from Instantly", "2 notes or other manual events of other users", "1 call request".';

-- One guard for the three tables; security definer so that it counts every
-- row whatever the visitor may read. Fired only for the visitor (the WHEN of
-- each trigger), before the row goes and before any cascade.
create function leadgraph_private.tg__restrict_delete() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  what text;
  instead text;
  holders text[];
  merges bigint;
begin
  case TG_TABLE_NAME
    when 'leads' then
      what := 'lead';
      instead := 'set its status to unqualified or do_not_contact instead (setLeadStatus)';
      holders := leadgraph_private.deletion_holders('lead_id', OLD.id);
      -- The record of a duplicate merged into it (000017) would go too.
      select count(*) into merges from lead_merges m where m.kept_lead_id = OLD.id;
      if merges > 0 then
        holders := holders || leadgraph_private.count_phrase(merges, 'merged duplicate', 'merged duplicates');
      end if;
    when 'campaigns' then
      what := 'campaign';
      instead := 'set its status to archived instead';
      holders := leadgraph_private.deletion_holders('campaign_id', OLD.id);
    when 'campaign_leads' then
      what := 'campaign membership';
      instead := 'set its overall status to disqualified or completed instead';
      holders := leadgraph_private.deletion_holders('campaign_lead_id', OLD.id);
  end case;
  if cardinality(holders) > 0 then
    raise exception 'This % has %; it cannot be deleted through the API: %.', what,
      case cardinality(holders)
        when 1 then holders[1]
        else array_to_string(holders[1:cardinality(holders) - 1], ', ') || ' and ' || holders[cardinality(holders)]
      end,
      instead
      using errcode = 'restrict_violation', schema = TG_TABLE_SCHEMA, table = TG_TABLE_NAME;
  end if;
  return OLD;
end;
$$;
comment on function leadgraph_private.tg__restrict_delete() is
  E'Trigger function: refuses (23001) a visitor''s delete of a lead, campaign or campaign membership that would delete or change events from a source, other users'' manual events, call requests or a lead''s merge records.';

create function leadgraph_private.tg__audit_deletion() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- search_vector is generated from the other columns.
  insert into leadgraph_private.deletions (table_name, row_id, deleted_by, old_row)
  values (TG_TABLE_NAME, OLD.id::text, current_user_id(), to_jsonb(OLD) - 'search_vector');
  return null;
end;
$$;
comment on function leadgraph_private.tg__audit_deletion() is
  E'Trigger function: records a row deleted in a GraphQL request in leadgraph_private.deletions.';

-- `current_user` is the role that runs the delete: the visitor for the row a
-- request names, the table owner for a foreign key's cascade.
create trigger _100_restrict_delete before delete on leads
  for each row when (current_user = 'leadgraph_visitor') execute function leadgraph_private.tg__restrict_delete();
create trigger _100_restrict_delete before delete on campaigns
  for each row when (current_user = 'leadgraph_visitor') execute function leadgraph_private.tg__restrict_delete();
create trigger _100_restrict_delete before delete on campaign_leads
  for each row when (current_user = 'leadgraph_visitor') execute function leadgraph_private.tg__restrict_delete();

-- The `role` setting is the request's (PostGraphile sets it for the
-- transaction) in the cascades it causes too, where `current_user` is the owner.
create trigger _800_audit_deletion after delete on leads
  for each row when (current_setting('role') = 'leadgraph_visitor') execute function leadgraph_private.tg__audit_deletion();
create trigger _800_audit_deletion after delete on campaigns
  for each row when (current_setting('role') = 'leadgraph_visitor') execute function leadgraph_private.tg__audit_deletion();
create trigger _800_audit_deletion after delete on campaign_leads
  for each row when (current_setting('role') = 'leadgraph_visitor') execute function leadgraph_private.tg__audit_deletion();
create trigger _800_audit_deletion after delete on companies
  for each row when (current_setting('role') = 'leadgraph_visitor') execute function leadgraph_private.tg__audit_deletion();
create trigger _800_audit_deletion after delete on offers
  for each row when (current_setting('role') = 'leadgraph_visitor') execute function leadgraph_private.tg__audit_deletion();
create trigger _800_audit_deletion after delete on events
  for each row when (current_setting('role') = 'leadgraph_visitor') execute function leadgraph_private.tg__audit_deletion();
