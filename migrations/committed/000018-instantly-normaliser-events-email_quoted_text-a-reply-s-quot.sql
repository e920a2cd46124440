--! Previous: sha1:a56d880bee80e5303990ec2643098e5b0d82f3eb
--! Hash: sha1:ee883273ad47b8189b3028f643ee3fb8c00c6fc6
--! Message: Instantly normaliser: events.email_quoted_text (a reply's quoted original, not searched); private helpers to read Instantly fields in any casing, timestamps, claim queued rows, raw JSON of a row

-- The Instantly normaliser as named steps (src/sources/instantly/normalize/),
-- and what real workspaces showed it needs: the quoted original of a reply
-- apart from its own words, and Instantly fields read whatever the user's
-- casing. Helpers the steps share live in leadgraph_private.

------------------------------------------------------------------------------
-- A reply's text is its own words; the email it quotes goes beside it, out of
-- full-text search (search_vector stays over email_body), so a search for our
-- own outbound words does not find every reply that quoted them.
alter table events add column if not exists email_quoted_text text;
comment on column events.email_quoted_text is E'Of a reply, the earlier email it quotes ("On ... wrote:" and the quoted lines), as text. Not searched: a search finds what the lead wrote, not our own words quoted back.';
comment on column events.email_body is E'Email body as text (HTML converted to text); of a reply, only its own words: the earlier email it quotes is kept apart, as its quoted text.';

------------------------------------------------------------------------------
-- Instantly's custom variables (a lead's payload, the lead data merged into a
-- webhook) keep the casing of the user's upload: firstName, First_name,
-- "first name" are one field. Keys are folded once per object: lower case,
-- without spaces, _, - and .; scalar, non-empty values only, trimmed. Of two
-- spellings of one field the later key in jsonb's order wins (a fixed order).
-- No SET search_path: it calls built-ins only, and a SET makes every call
-- (once per lead row) dearer.
create or replace function leadgraph_private.instantly_variables(variables jsonb) returns jsonb
  language sql immutable parallel safe
as $$
  select coalesce(jsonb_object_agg(translate(lower(v.key), ' _-.', ''), btrim(v.value #>> '{}')), '{}'::jsonb)
  from jsonb_each(case when jsonb_typeof(variables) = 'object' then variables end) v
  where jsonb_typeof(v.value) in ('string', 'number') and btrim(v.value #>> '{}') <> ''
$$;
comment on function leadgraph_private.instantly_variables(jsonb) is E'Instantly custom variables by folded name (firstName, First_name, "first name" -> firstname): scalar, non-empty values, trimmed.';

-- The person an Instantly lead (or a webhook's lead data) describes: Instantly's
-- own columns when it fills them, else the custom variables by any casing.
-- Real leads from POST /leads/list carry these only in `payload`. Instantly's
-- company_domain is not read: it is the address's domain, also for free mail
-- (company_domain_from decides that from the address). No SET search_path, so
-- the planner can inline it into the steps that call it.
create or replace function leadgraph_private.instantly_person(lead jsonb, variables jsonb)
  returns table (first_name text, last_name text, company_name text, website text, phone text, job_title text, linkedin_url text)
  language sql stable parallel safe
as $$
  select coalesce(nullif(btrim(lead ->> 'first_name'), ''), v ->> 'firstname', leadgraph_rules.first_name_of(v ->> 'fullname')),
         coalesce(nullif(btrim(lead ->> 'last_name'), ''), v ->> 'lastname', leadgraph_rules.last_name_of(v ->> 'fullname')),
         coalesce(nullif(btrim(lead ->> 'company_name'), ''), v ->> 'companyname', v ->> 'company'),
         coalesce(nullif(btrim(lead ->> 'website'), ''), v ->> 'website', v ->> 'companywebsite', v ->> 'companydomain'),
         coalesce(leadgraph_rules.clean_phone(lead ->> 'phone'), leadgraph_rules.clean_phone(v ->> 'phone'),
                  leadgraph_rules.clean_phone(v ->> 'phonenumber'), leadgraph_rules.clean_phone(v ->> 'mobilephone')),
         coalesce(nullif(btrim(lead ->> 'job_title'), ''), v ->> 'jobtitle', v ->> 'title'),
         coalesce(v ->> 'linkedin', v ->> 'linkedinurl', v ->> 'linkedinprofile', v ->> 'personlinkedinurl')
  -- offset 0: the variables are folded once, not once per field that reads them.
  from (select leadgraph_private.instantly_variables(variables) as v offset 0) fields
$$;
comment on function leadgraph_private.instantly_person(jsonb, jsonb) is E'The person of an Instantly lead object (its columns first) and custom variables (any casing): names, company name, website, phone, job title, LinkedIn URL.';

-- Instantly's timestamps are ISO-8601; anything else is no timestamp (not an
-- error that would set the whole row aside). Inlined, like instantly_person.
create or replace function leadgraph_private.instantly_timestamp(value text) returns timestamptz
  language sql stable parallel safe
as $$
  select case when value ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$' then value::timestamptz end
$$;
comment on function leadgraph_private.instantly_timestamp(text) is E'An Instantly ISO-8601 timestamp, or null for anything else.';

-- Takes up to max_rows queued rows of one resource off instantly_pending, in
-- source_id order (a failing batch is halved down to its bad row, so the
-- order must be fixed), skipping rows another normaliser holds. The caller's
-- transaction decides: rolled back, the rows are queued again.
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
comment on function leadgraph_private.claim_instantly_pending(text, integer) is E'Takes up to max_rows queued Instantly rows of one resource (campaign, lead, email, webhook) off the queue, in source_id order, skipping rows another normaliser holds.';

-- The raw JSON of one queued row, for instantly_rejects.
create or replace function leadgraph_private.instantly_raw_json(resource text, source_id text) returns jsonb
  language sql stable
  set search_path to pg_catalog, pg_temp
as $$
  select case resource
    when 'campaign' then (select r.raw_json from public.instantly_campaigns_raw r where r.instantly_campaign_id = instantly_raw_json.source_id)
    when 'lead' then (select r.raw_json from public.instantly_leads_raw r where r.instantly_lead_id = instantly_raw_json.source_id)
    when 'email' then (select r.raw_json from public.instantly_emails_raw r where r.instantly_email_id = instantly_raw_json.source_id)
    when 'webhook' then (select w.payload from public.instantly_webhooks_raw w where w.id = instantly_raw_json.source_id::uuid)
  end
$$;
comment on function leadgraph_private.instantly_raw_json(text, text) is E'The raw JSON of an Instantly raw row by resource and source_id (a webhook''s payload).';

revoke all on function leadgraph_private.instantly_variables(jsonb), leadgraph_private.instantly_person(jsonb, jsonb),
  leadgraph_private.instantly_timestamp(text), leadgraph_private.claim_instantly_pending(text, integer),
  leadgraph_private.instantly_raw_json(text, text)
  from public;
