-- Every row's touch: the event its word names, when it happened, who it
-- happened to. A row's person is its profile's normal form; a row without a
-- profile we can match is the person of the first row with its email and a
-- profile, else its email's. Rows repeating a touch of an earlier row are
-- that row's duplicates.
insert into linkedin_keys (row_number, person, url_key, profile_url, email, first_name, last_name, event_type, event_at,
                           message_text, reject_reason, touch_winner)
with cells as (
  select r.row_number,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'profile_url')), '') as url_cell,
         leadgraph_rules.normalize_email(r.raw_row ->> (:mapping::jsonb ->> 'email')) as email_cell,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'first_name')), '') as first_name_cell,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'last_name')), '') as last_name_cell,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'full_name')), '') as full_name,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'event')), '') as event_cell,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'timestamp')), '') as ts,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'message')), '') as message_text
  from leadgraph_private.csv_import_raw_rows r
  where r.csv_import_id = :import_id
),
-- (materialized: the rules run once per row)
parsed as materialized (
  select c.*,
         leadgraph_rules.linkedin_url_problem(c.url_cell) as url_problem,
         leadgraph_rules.normalize_linkedin_url(c.url_cell) as url_norm,
         case when leadgraph_rules.is_email(c.email_cell) then c.email_cell end as email,
         :event_words::jsonb ->> regexp_replace(lower(c.event_cell), '[^a-z0-9#]+', '', 'g') as event_type,
         -- Slashed dates rewritten as ISO in the file's order (see date-order).
         case when c.ts ~ '^\d{1,2}[/.]\d{1,2}[/.]\d{4}' and :date_order::text is not null then
           regexp_replace(c.ts, '^(\d{1,2})[/.](\d{1,2})[/.](\d{4})',
                          case :date_order::text when 'dmy' then '\3-\2-\1' else '\3-\1-\2' end)
         end as ts_from_slashes
  from cells c
),
timed as (
  select p.*, iso.value as iso_ts,
         case
           when iso.value is null then null
           -- An offset (or Z) says the zone; without one, UTC.
           when iso.value ~* '\d:\d{2}(:\d{2}(\.\d+)?)?\s*(z|utc|[+-]\d{2}(:?\d{2})?)$' then
             leadgraph_private.timestamptz_or_null(iso.value)
           else leadgraph_private.timestamp_or_null(iso.value) at time zone 'UTC'
         end as iso_at
  from parsed p
  left join lateral (
    select v as value
    from (select coalesce(p.ts_from_slashes, p.ts) as v) x
    where v ~* '^\d{4}-\d{1,2}-\d{1,2}([t ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(z|utc|[+-]\d{2}(:?\d{2})?)?)?$'
  ) iso on true
),
keyed as (
  select t.row_number, t.email, t.message_text, t.event_type,
         case when t.url_problem is null then t.url_norm end as url_key,
         case when t.url_problem is null then t.url_cell end as profile_url,
         coalesce(t.first_name_cell, leadgraph_rules.first_name_of(t.full_name)) as first_name,
         coalesce(t.last_name_cell, leadgraph_rules.last_name_of(t.full_name)) as last_name,
         case
           when t.iso_at is not null then t.iso_at
           when t.ts ~ '^\d{10}(\.\d+)?$' then to_timestamp(t.ts::numeric)
           when t.ts ~ '^\d{13}$' then to_timestamp(t.ts::numeric / 1000)
         end as event_at,
         case
           when t.event_cell is null then 'no event or status'
           when t.event_type is null then 'unrecognised event or status: ' || left(t.event_cell, 100)
           when t.ts is null then 'no timestamp'
           when t.ts ~ '^\d{1,2}[/.]\d{1,2}[/.]\d{4}' and t.ts_from_slashes is null then
             case when :dates_conflict::boolean then 'dates in both day/month and month/day order in this file: ' || left(t.ts, 40)
                  else 'ambiguous date (day/month or month/day? no date in this file has a day above 12): ' || left(t.ts, 40) ||
                       '; export ISO dates (2025-04-03)' end
           when t.iso_at is null and not (t.ts ~ '^\d{10}(\.\d+)?$' or t.ts ~ '^\d{13}$') then
             'unrecognised timestamp (ISO 8601, e.g. 2025-10-14 17:50:33+00:00, or Unix time expected): ' || left(t.ts, 40)
           when t.url_problem is not null and t.email is null then t.url_problem
           when t.url_cell is null and t.email is null then 'no LinkedIn profile URL and no email'
         end as reject_reason
  from timed t
),
profile_of_email as (
  select distinct on (email) email, url_key
  from keyed
  where reject_reason is null and email is not null and url_key is not null
  order by email, row_number
),
people as (
  select k.*,
         case when k.reject_reason is null then
           coalesce('linkedin:' || k.url_key, 'linkedin:' || p.url_key, 'email:' || k.email)
         end as person
  from keyed k
  left join profile_of_email p on k.url_key is null and p.email = k.email
)
select row_number, person, url_key, profile_url, email, first_name, last_name, event_type, event_at, message_text, reject_reason,
       case when person is not null then
         min(row_number) over (partition by person, event_type, event_at, md5(coalesce(message_text, '')))
       end
from people
