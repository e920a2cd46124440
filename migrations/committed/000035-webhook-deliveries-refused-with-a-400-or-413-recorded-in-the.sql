--! Previous: sha1:1bd88b0b05cdc89c8aac1528024e719359d71997
--! Hash: sha1:779e1e97d65970163d437e2c69b7c3c7b0d8eda3
--! Message: Webhook deliveries refused with a 400 or 413 recorded in their source's rejects (stage receive, the body's SHA-256, the body as text, deliveries counted): refuse_webhook

-- Webhook deliveries refused with a 400 (malformed JSON, not one event, too
-- deeply nested to store, over the size limit) are recorded with the reason,
-- like the records a sync sets aside: every delivery that came in and passed
-- the secret is either in the raw layer or in the rejects (stage receive).
-- A sender that keeps resending the same body counts up one row.
alter table instantly_rejects drop constraint if exists instantly_rejects_stage_check;
alter table instantly_rejects add constraint instantly_rejects_stage_check check (stage in ('fetch', 'receive', 'normalize'));
comment on column instantly_rejects.stage is
  E'fetch (a synced record that failed validation; not in the raw layer), receive (a webhook delivery refused with a 400; not in the raw layer) or normalize (in the raw layer, not in the normalised one).';
alter table vapi_rejects drop constraint if exists vapi_rejects_stage_check;
alter table vapi_rejects add constraint vapi_rejects_stage_check check (stage in ('fetch', 'receive', 'normalize'));
comment on column vapi_rejects.stage is
  E'fetch (a synced call that failed validation; not in the raw layer), receive (a webhook delivery refused with a 400; not in the raw layer) or normalize (in the raw layer, not in the normalised one).';

alter table instantly_rejects add column if not exists deliveries integer not null default 1;
comment on column instantly_rejects.deliveries is E'How many times it came in (a refused webhook delivery resent with the same body counts up).';
alter table vapi_rejects add column if not exists deliveries integer not null default 1;
comment on column vapi_rejects.deliveries is E'How many times it came in (a refused webhook delivery resent with the same body counts up).';

drop function if exists public.refuse_webhook(text, text, text);
-- source_id is the body's SHA-256 (a refused body has no id we could trust);
-- raw_json keeps the body as a JSON string, its first 65,536 characters, or
-- null when it was not read (over the size limit).
create function public.refuse_webhook(source text, reason text, body text) returns void
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  digest text := encode(sha256(convert_to(coalesce(body, ''), 'UTF8')), 'hex');
  kept jsonb := case when body is not null then jsonb_build_object('body', left(body, 65536), 'characters', length(body)) end;
begin
  if source = 'instantly' then
    insert into instantly_rejects as r (stage, resource, source_id, reason, raw_json)
    values ('receive', 'webhook', digest, reason, kept)
    on conflict (stage, resource, source_id) do update set reason = excluded.reason, deliveries = r.deliveries + 1;
  elsif source = 'vapi' then
    insert into vapi_rejects as r (stage, resource, source_id, reason, raw_json)
    values ('receive', 'webhook', digest, reason, kept)
    on conflict (stage, resource, source_id) do update set reason = excluded.reason, deliveries = r.deliveries + 1;
  else
    raise exception 'refuse_webhook: unknown source %', source using errcode = '22023';
  end if;
end;
$$;
comment on function public.refuse_webhook(text, text, text) is
  E'@behavior -queryField -mutationField\nRecords a webhook delivery refused with a 400 (source instantly or vapi) in its rejects, with the reason and the body as text.';
revoke execute on function public.refuse_webhook(text, text, text) from public;
grant execute on function public.refuse_webhook(text, text, text) to leadgraph_visitor;
