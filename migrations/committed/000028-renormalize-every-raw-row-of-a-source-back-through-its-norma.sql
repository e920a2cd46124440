--! Previous: sha1:cf9b0ec1a2adeba4ddeea4b3b95dd18c35580c5d
--! Hash: sha1:9ec5640c39b79a515cb57feb7874080c62af3537
--! Message: renormalize: every raw row of a source back through its normaliser

-- leadgraph renormalize (src/renormalize.ts): the seed's promise that the
-- normalised layer can be rebuilt from the raw layer after a change of logic
-- or schema. Each source's raw rows go back through that source's own
-- normaliser, the same code a sync or an upload runs, so there is one
-- definition of what a raw row becomes. Leads, companies, campaigns and
-- memberships are updated in place (never deleted): notes, statuses set by
-- users and what other sources brought stay, and the workflow never moves
-- backwards. The caller holds the source's normaliser lock (src/database/locks.ts)
-- so no drain runs between the steps below.
drop function if exists leadgraph_private.renormalize_instantly();
drop function if exists leadgraph_private.renormalize_vapi();
drop function if exists leadgraph_private.renormalize_csv();
drop function if exists leadgraph_private.enqueue_csv_import_normalization(uuid, interval, text);
drop function if exists leadgraph_private.enqueue_csv_import_normalization(uuid, interval);

-- The one place a CSV normalisation job is enqueued (the insert triggers,
-- reprocess_csv_import(), renormalize_csv()), now with an optional
-- graphile-worker queue: jobs in one queue run one at a time, in order.
-- One job per import (job_key): enqueueing again replaces a job still
-- waiting. (plpgsql: its body refers to graphile_worker, installed after our
-- migrations.)
create function leadgraph_private.enqueue_csv_import_normalization(import_id uuid, delay interval, queue text default null)
  returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, leadgraph_private, pg_temp
as $$
begin
  perform graphile_worker.add_job(
    identifier => 'csv_imports_raw__normalize',
    payload => json_build_object('id', import_id),
    queue_name => queue,
    run_at => now() + delay,
    job_key => 'csv_imports_raw:' || import_id,
    job_key_mode => 'replace'
  );
end;
$$;
comment on function leadgraph_private.enqueue_csv_import_normalization(uuid, interval, text) is
  E'(Re)schedules the normalisation of a CSV import, after delay, in the given graphile-worker queue (none: any free worker).';
revoke execute on function leadgraph_private.enqueue_csv_import_normalization(uuid, interval, text) from public;

-- Instantly's events are rebuilt whole: an event from a webhook without an
-- email id has no key to be found again by, so queueing its webhook again
-- would add it twice. Every one of them is derived (the raw tables keep what
-- Instantly sent); none is a user's (those are event_source 'manual').
create function leadgraph_private.renormalize_instantly() returns bigint
  language plpgsql volatile
  set search_path to pg_catalog, public, leadgraph_private, pg_temp
as $$
declare
  queued bigint;
begin
  delete from events where event_source = 'instantly';
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
  if queued > 0 then
    perform enqueue_instantly_normalization();
  end if;
  return queued;
end;
$$;
comment on function leadgraph_private.renormalize_instantly() is
  E'Queues every Instantly raw row for normalisation again, after deleting the events derived from Instantly (rebuilt by the drain); returns the rows queued. Run with the Instantly normaliser lock held (leadgraph renormalize).';

-- VAPI's events have a key (the call id): they are updated in place. Every
-- webhook is queued; the normaliser reads the message types it knows and
-- lets the rest go (src/sources/vapi/normalize/20-stage-calls.sql).
create function leadgraph_private.renormalize_vapi() returns bigint
  language plpgsql volatile
  set search_path to pg_catalog, public, leadgraph_private, pg_temp
as $$
declare
  queued bigint;
begin
  insert into vapi_pending (resource, source_id)
  select 'call', vapi_call_id from vapi_calls_raw
  union all select 'webhook', id::text from vapi_webhooks_raw
  on conflict (resource, source_id) do update set queued_at = excluded.queued_at;
  analyze vapi_pending;  -- (as above)
  select count(*) into queued from vapi_pending;
  if queued > 0 then
    perform enqueue_vapi_normalization();
  end if;
  return queued;
end;
$$;
comment on function leadgraph_private.renormalize_vapi() is
  E'Queues every VAPI raw row (calls and webhooks) for normalisation again; returns the rows queued.';

-- Every import, oldest upload first, one after another in one worker queue:
-- the result does not depend on the order (newer uploads win whatever runs
-- first, src/sources/csv/normalize/index.ts), but imports of the same people
-- running side by side would only wait on each other's row locks.
create function leadgraph_private.renormalize_csv() returns setof uuid
  language plpgsql volatile
  set search_path to pg_catalog, public, leadgraph_private, pg_temp
as $$
declare
  import_id uuid;
  position integer := 0;
begin
  for import_id in select id from csv_imports_raw order by uploaded_at, id loop
    update csv_imports_raw set import_status = 'uploaded' where id = import_id;
    perform enqueue_csv_import_normalization(import_id, position * interval '1 millisecond', 'leadgraph_renormalize_csv');
    position := position + 1;
    return next import_id;
  end loop;
end;
$$;
comment on function leadgraph_private.renormalize_csv() is
  E'Queues every CSV import for normalisation again from its stored rows, oldest upload first, one at a time; returns their ids.';

revoke execute on function leadgraph_private.renormalize_instantly(), leadgraph_private.renormalize_vapi(),
  leadgraph_private.renormalize_csv() from public;
