-- The people of the file, each resolved to a lead by the batch holding its
-- first row (every later row of the person is in that batch or a later one).
create temp table if not exists linkedin_people (
  person text primary key,
  first_row integer not null,
  url_key text,
  profile_url text,
  email text,
  first_name text,
  last_name text,
  lead_id uuid,
  new_lead_id uuid not null default gen_random_uuid(),
  lead_is_new boolean not null default false
)
