--! Previous: sha1:a36f737cf0407b8af224b1c09eaacc9b86a885d3
--! Hash: sha1:201e09b7bdd48467a8a36aac7b809b348353fd33
--! Message: Queue claims back to their earlier form: by ctid, a drain beside a sync scanned the queue against the array (bench:sync 86 s -> 133 s)

-- The claims of 000033 back to their earlier form (000018, 000024): chosen
-- by ctid through an array, the claim of a drain running beside a sync was
-- planned as a scan of the whole queue against the array, and bench:sync's
-- end-to-end run went from 86 s to 133 s (stage-emails 4.8 s -> 54.9 s).
-- The plan that made renormalize stall (a queue vacuumed while empty, then
-- filled at once) is avoided where it happens: the renormalize functions
-- analyse the queue they fill (000033).
create or replace function leadgraph_private.claim_instantly_pending(resource text, max_rows integer) returns setof text
  language sql volatile
  set search_path to pg_catalog, pg_temp
as $$
  delete from leadgraph_private.instantly_pending p
  where p.resource = claim_instantly_pending.resource and p.source_id in (
    select q.source_id from leadgraph_private.instantly_pending q
    where q.resource = claim_instantly_pending.resource
    order by q.source_id limit max_rows for update skip locked)
  returning p.source_id
$$;

create or replace function leadgraph_private.claim_vapi_pending(max_rows integer) returns table (resource text, source_id text)
  language sql volatile
  set search_path to pg_catalog, pg_temp
as $$
  delete from leadgraph_private.vapi_pending p
  where (p.resource, p.source_id) in (
    select q.resource, q.source_id from leadgraph_private.vapi_pending q
    order by q.resource, q.source_id limit max_rows for update skip locked)
  returning p.resource, p.source_id
$$;
