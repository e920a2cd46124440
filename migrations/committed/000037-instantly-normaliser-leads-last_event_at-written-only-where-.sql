--! Previous: sha1:5d612bd6dc02e2d7db2a9ebf660e6c7cda5f06d4
--! Hash: sha1:a68202848fbfe6507a854d07d04adb7920cc05e4
--! Message: Instantly normaliser: leads' last_event_at written only where it is not right already (refresh_stale_last_event_at), and renormalize_instantly's delete defers it, so a rebuild leaves leads alone

-- leads.last_event_at once per drain (000029): the refresh no longer locks and
-- rewrites the leads whose value is right already (an email batch sets it when
-- it creates a lead, src/sources/instantly/normalize/47-leads.sql): a lock
-- dirties the row's page like a write. Skipping them is safe: what changes
-- their events outside the drain (another writer, which does not defer) sets
-- last_event_at itself.
create or replace function leadgraph_private.refresh_stale_last_event_at(max_leads integer) returns integer
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  taken integer;
begin
  -- Up to max_leads of them (the lowest ids), so a long drain's leads are
  -- locked a slice at a time. The leads to change are locked first and their
  -- newest event read after (a new statement, so a new snapshot): an event
  -- another transaction adds meanwhile either is seen here, or its own
  -- trigger runs after this and only moves last_event_at forward.
  create temp table refreshed_leads on commit drop as
    select lead_id from leadgraph_private.leads_last_event_at_stale order by lead_id limit max_leads;
  get diagnostics taken = row_count;
  delete from leadgraph_private.leads_last_event_at_stale s using refreshed_leads r where s.lead_id = r.lead_id;
  -- Statistics, so the lookups below are joined by hash or index, never by a
  -- nested loop over two scans (a temporary table has none of its own).
  analyze refreshed_leads;
  create temp table wrong_leads on commit drop as
    select r.lead_id from refreshed_leads r
    where exists (select 1 from leads l where l.id = r.lead_id
                    and l.last_event_at is distinct from (select max(e.event_timestamp) from events e where e.lead_id = r.lead_id));
  analyze wrong_leads;
  perform 1 from leads l where l.id in (select lead_id from wrong_leads) order by l.id for update of l;
  update leads l set last_event_at = m.newest
  from (select w.lead_id, (select max(e.event_timestamp) from events e where e.lead_id = w.lead_id) as newest from wrong_leads w) m
  where l.id = m.lead_id and l.last_event_at is distinct from m.newest;
  drop table refreshed_leads;
  drop table wrong_leads;
  return taken;
end;
$$;
comment on function leadgraph_private.refresh_stale_last_event_at(integer) is E'Sets last_event_at of up to max_leads leads of leadgraph_private.leads_last_event_at_stale from their events (locking and writing only those whose value is not right already) and takes them off it; returns how many it took (fewer than max_leads: none left).';
revoke all on function leadgraph_private.refresh_stale_last_event_at(integer) from public;

-- leadgraph renormalize instantly deletes every Instantly event before the
-- drain rebuilds them: that delete now defers last_event_at too (the leads
-- are marked, not recomputed), so a lead keeps its value through the rebuild
-- and the drain's refresh finds it right and leaves it alone, instead of each
-- lead written twice (emptied by the delete, set again by the refresh). A
-- drain is scheduled whenever leads wait for their refresh, raw rows queued
-- or not.
create or replace function leadgraph_private.renormalize_instantly() returns bigint
  language plpgsql volatile
  set search_path to pg_catalog, public, leadgraph_private, pg_temp
as $$
declare
  queued bigint;
  deferring text := current_setting('leadgraph.defer_last_event_at', true);
begin
  perform set_config('leadgraph.defer_last_event_at', 'on', true);
  delete from events where event_source = 'instantly';
  perform set_config('leadgraph.defer_last_event_at', coalesce(deferring, ''), true);
  insert into instantly_pending (resource, source_id)
  select 'campaign', instantly_campaign_id from instantly_campaigns_raw
  union all select 'lead', instantly_lead_id from instantly_leads_raw
  union all select 'email', instantly_email_id from instantly_emails_raw
  union all select 'webhook', id::text from instantly_webhooks_raw
  on conflict (resource, source_id) do update set queued_at = excluded.queued_at;
  -- Statistics for the drain's plans: a queue vacuumed while empty and then
  -- filled at once looks empty to the planner (a drain of 287k rows claimed
  -- 50 in 10 minutes before this).
  analyze instantly_pending;
  select count(*) into queued from instantly_pending;
  if queued > 0 or exists (select 1 from leads_last_event_at_stale) then
    perform enqueue_instantly_normalization();
  end if;
  return queued;
end;
$$;
comment on function leadgraph_private.renormalize_instantly() is
  E'Queues every Instantly raw row for normalisation again, after deleting the events derived from Instantly (rebuilt by the drain; their leads'' last_event_at waits for the drain''s refresh); returns the rows queued. Run with the Instantly normaliser lock held (leadgraph renormalize).';
