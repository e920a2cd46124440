--! Previous: sha1:9ec5640c39b79a515cb57feb7874080c62af3537
--! Hash: sha1:095a36edb412b54f645668cca8065a621cfddb5e
--! Message: Instantly normaliser: leads.last_event_at and the campaign_leads workflow once per drain (leads_last_event_at_stale, instantly_workflow_stale, leadgraph.defer_last_event_at, instantly_left_to_normalize); events_instantly_email_id_idx dropped (the unique key is the same index)

-- Instantly normaliser, faster drains (issue 12). Two recomputations read
-- every event of what a batch touched and rewrite wide rows: leads'
-- last_event_at (a leads update rewrites its 17 indexes) and campaign_leads'
-- email workflow. The normaliser now runs both once per drain over what the
-- drain touched (src/sources/instantly/normalize/index.ts), kept in two queue
-- tables written in each batch's transaction, so a job killed mid-drain leaves
-- them for its retry. Other writers of events (VAPI, the LinkedIn import) keep
-- the immediate update: the deferral is asked for per transaction.
-- instantly_left_to_normalize is what waiters read now: instantly_pending
-- empties before a drain's last step.
-- And events_instantly_email_id_idx goes: events_instantly_email_id_key
-- (000016) is the same index, unique.

drop view if exists leadgraph_private.instantly_left_to_normalize;
drop function if exists leadgraph_private.refresh_stale_last_event_at(integer);
drop table if exists leadgraph_private.leads_last_event_at_stale;
drop table if exists leadgraph_private.instantly_workflow_stale;

create table leadgraph_private.leads_last_event_at_stale (
  lead_id uuid primary key
);
alter table leadgraph_private.leads_last_event_at_stale enable row level security;
comment on table leadgraph_private.leads_last_event_at_stale is E'Leads whose last_event_at waits for leadgraph_private.refresh_stale_last_event_at(): their events changed in a transaction that deferred it (leadgraph.defer_last_event_at).';
comment on column leadgraph_private.leads_last_event_at_stale.lead_id is E'The lead (no foreign key: a deleted lead is skipped by the refresh).';

create table leadgraph_private.instantly_workflow_stale (
  campaign_id uuid not null,
  lead_id uuid not null,
  primary key (campaign_id, lead_id)
);
alter table leadgraph_private.instantly_workflow_stale enable row level security;
comment on table leadgraph_private.instantly_workflow_stale is E'Memberships the Instantly normaliser touched whose email workflow it has not recomputed yet (it does at the end of each drain, src/sources/instantly/normalize/90-workflow.sql).';
comment on column leadgraph_private.instantly_workflow_stale.campaign_id is E'The campaign (no foreign key: a deleted membership is skipped).';
comment on column leadgraph_private.instantly_workflow_stale.lead_id is E'The lead.';

-- The events of an insert or update that defers: marked, not applied.
create or replace function leadgraph_private.tg_events__last_event_at() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if current_setting('leadgraph.defer_last_event_at', true) = 'on' then
    if TG_OP = 'INSERT' then
      insert into leadgraph_private.leads_last_event_at_stale (lead_id)
      select distinct lead_id from new_rows order by lead_id
      on conflict do nothing;
    elsif TG_OP = 'DELETE' then
      insert into leadgraph_private.leads_last_event_at_stale (lead_id)
      select distinct lead_id from old_rows order by lead_id
      on conflict do nothing;
    else
      insert into leadgraph_private.leads_last_event_at_stale (lead_id)
      select t.lead_id from (
        select o.lead_id from old_rows o join new_rows n on n.id = o.id
        where n.lead_id <> o.lead_id or n.event_timestamp <> o.event_timestamp
        union
        select n.lead_id from old_rows o join new_rows n on n.id = o.id
        where n.lead_id <> o.lead_id or n.event_timestamp <> o.event_timestamp) t
      order by t.lead_id
      on conflict do nothing;
    end if;
    return null;
  end if;
  if TG_OP = 'INSERT' then
    update leads l set last_event_at = n.newest
    from (select lead_id, max(event_timestamp) as newest from new_rows group by lead_id) n
    where l.id = n.lead_id and (l.last_event_at is null or l.last_event_at < n.newest);
  elsif TG_OP = 'DELETE' then
    -- The leads of deleted events are recomputed (an index probe each).
    update leads l set last_event_at = m.newest
    from (select t.lead_id, (select max(e.event_timestamp) from events e where e.lead_id = t.lead_id) as newest
          from (select distinct lead_id from old_rows) t) m
    where l.id = m.lead_id and l.last_event_at is distinct from m.newest;
  else
    -- Events moved to another lead or re-dated: the leads they left and
    -- joined are recomputed.
    update leads l set last_event_at = m.newest
    from (select t.lead_id, (select max(e.event_timestamp) from events e where e.lead_id = t.lead_id) as newest
          from (select o.lead_id from old_rows o join new_rows n on n.id = o.id
                where n.lead_id <> o.lead_id or n.event_timestamp <> o.event_timestamp
                union
                select n.lead_id from old_rows o join new_rows n on n.id = o.id
                where n.lead_id <> o.lead_id or n.event_timestamp <> o.event_timestamp) t) m
    where l.id = m.lead_id and l.last_event_at is distinct from m.newest;
  end if;
  return null;
end;
$$;
comment on function leadgraph_private.tg_events__last_event_at() is E'Trigger function: keeps leads.last_event_at equal to the newest event_timestamp of the lead''s events; in a transaction with leadgraph.defer_last_event_at = on, marks the leads in leadgraph_private.leads_last_event_at_stale instead.';

create function leadgraph_private.refresh_stale_last_event_at(max_leads integer) returns integer
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  taken integer;
begin
  -- Up to max_leads of them (the lowest ids), so a long drain's leads are
  -- locked a slice at a time. The leads are locked first and their newest
  -- event read after (a new statement, so a new snapshot): an event another
  -- transaction adds meanwhile either is seen here, or its own trigger runs
  -- after this and only moves last_event_at forward.
  create temp table refreshed_leads on commit drop as
    select lead_id from leadgraph_private.leads_last_event_at_stale order by lead_id limit max_leads;
  get diagnostics taken = row_count;
  perform 1 from leads l where l.id in (select lead_id from refreshed_leads) order by l.id for update of l;
  delete from leadgraph_private.leads_last_event_at_stale s using refreshed_leads r where s.lead_id = r.lead_id;
  update leads l set last_event_at = m.newest
  from (select r.lead_id, (select max(e.event_timestamp) from events e where e.lead_id = r.lead_id) as newest from refreshed_leads r) m
  where l.id = m.lead_id and l.last_event_at is distinct from m.newest;
  drop table refreshed_leads;
  return taken;
end;
$$;
comment on function leadgraph_private.refresh_stale_last_event_at(integer) is E'Sets last_event_at of up to max_leads leads of leadgraph_private.leads_last_event_at_stale from their events and takes them off it; returns how many it took (fewer than max_leads: none left).';
revoke all on function leadgraph_private.refresh_stale_last_event_at(integer) from public;

-- What the normaliser has still to do, for whoever waits for it (leadgraph
-- sync --wait, the demo, the tests, bench:sync): instantly_pending empties
-- before a drain's last step.
create view leadgraph_private.instantly_left_to_normalize as
  select resource as what from leadgraph_private.instantly_pending
  union all
  select 'membership workflow' from leadgraph_private.instantly_workflow_stale
  union all
  select 'lead last_event_at' from leadgraph_private.leads_last_event_at_stale;
comment on view leadgraph_private.instantly_left_to_normalize is E'One row per thing the Instantly normaliser has still to do: queued raw rows (instantly_pending), then the workflow and last_event_at of what its drains touched. Empty: normalised.';

drop index if exists events_instantly_email_id_idx;
