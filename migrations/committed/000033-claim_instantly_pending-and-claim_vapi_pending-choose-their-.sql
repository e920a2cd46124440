--! Previous: sha1:87a0c55d57213a8cfff79f531e5e3f4a7321615a
--! Hash: sha1:a36f737cf0407b8af224b1c09eaacc9b86a885d3
--! Message: claim_instantly_pending and claim_vapi_pending choose their rows once (by ctid), whatever the statistics say; renormalize analyses the queue it filled

-- Claiming queued raw rows, robust to stale statistics. The rows to take are
-- chosen once (an array an InitPlan builds), then deleted by ctid: no plan
-- can rescan the locking subquery once per queued row. Seen with the old
-- form: 287k rows queued at once by `leadgraph renormalize instantly` into a
-- table vacuumed while empty (reltuples 0), planned as a nested loop over the
-- locking subquery, claimed 50 rows in 10 minutes. The renormalize functions
-- also analyse the queue they filled, for the drain's other statements.
create or replace function leadgraph_private.claim_instantly_pending(resource text, max_rows integer) returns setof text
  language sql volatile
  set search_path to pg_catalog, pg_temp
as $$
  delete from leadgraph_private.instantly_pending p
  where p.ctid = any (array(
    select q.ctid from leadgraph_private.instantly_pending q
    where q.resource = claim_instantly_pending.resource
    order by q.source_id limit max_rows for update skip locked))
  returning p.source_id
$$;

create or replace function leadgraph_private.claim_vapi_pending(max_rows integer) returns table (resource text, source_id text)
  language sql volatile
  set search_path to pg_catalog, pg_temp
as $$
  delete from leadgraph_private.vapi_pending p
  where p.ctid = any (array(
    select q.ctid from leadgraph_private.vapi_pending q
    order by q.resource, q.source_id limit max_rows for update skip locked))
  returning p.resource, p.source_id
$$;

create or replace function leadgraph_private.renormalize_instantly() returns bigint
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
  analyze instantly_pending;
  select count(*) into queued from instantly_pending;
  if queued > 0 then
    perform enqueue_instantly_normalization();
  end if;
  return queued;
end;
$$;

create or replace function leadgraph_private.renormalize_vapi() returns bigint
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
  analyze vapi_pending;
  select count(*) into queued from vapi_pending;
  if queued > 0 then
    perform enqueue_vapi_normalization();
  end if;
  return queued;
end;
$$;
