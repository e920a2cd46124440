--! Previous: sha1:e7f465c879521a26d34bb408f0d388eaaa1f882d
--! Hash: sha1:7cbd73c8eb4bcb2285e00c24184a8494cc8a9c33
--! Message: leads, linked to companies and their CSV import rows

-- Seed migration 006: leads, the people we contact.
-- A lead belongs to at most one company and remembers the import it came from.

create table leads (
  id uuid primary key default gen_random_uuid(),
  first_name text,
  last_name text,
  full_name text generated always as (nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), '')) stored,
  -- Stored lower-case and trimmed (see tg_leads__normalize), so unique here
  -- means unique as lower(trim(email)). Nullable: a lead found through its
  -- LinkedIn profile may have no email yet.
  email text unique check (email like '%_@_%'),
  email_status text,
  secondary_email text,
  phone text,
  mobile_phone text,
  job_title text,
  seniority text,
  departments text[] not null default '{}',
  linkedin_url text,
  twitter_url text,
  facebook_url text,
  city text,
  state text,
  country text,
  company_id uuid references companies (id) on delete set null,
  lead_source text not null default 'manual' check (lead_source in ('csv', 'instantly', 'vapi', 'linkedin', 'manual', 'api')),
  apollo_contact_id text,
  apollo_data jsonb,
  csv_import_id uuid references csv_imports_raw (id) on delete set null,
  lead_score integer check (lead_score between 0 and 100),
  lead_status text not null default 'new'
    check (lead_status in ('new', 'qualified', 'contacted', 'replied', 'interested', 'converted', 'unqualified', 'do_not_contact')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint leads_has_identity check (email is not null or linkedin_url is not null or first_name is not null or last_name is not null)
);
create index leads_company_id_idx on leads (company_id);
create index leads_csv_import_id_idx on leads (csv_import_id);
create index leads_linkedin_url_idx on leads (linkedin_url);
create index leads_job_title_idx on leads (job_title);
create index leads_seniority_idx on leads (seniority);
create index leads_lead_status_idx on leads (lead_status);
create index leads_apollo_contact_id_idx on leads (apollo_contact_id);
create index leads_full_name_search_idx on leads using gin (to_tsvector('simple', coalesce(full_name, '')));

create function tg_leads__normalize() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  NEW.email = nullif(lower(btrim(NEW.email)), '');
  return NEW;
end;
$$;
comment on function tg_leads__normalize() is E'Trigger function: stores leads.email lower-case and trimmed (empty becomes null), the form de-duplication compares.';
create trigger _100_timestamps before insert or update on leads
  for each row execute function tg__timestamps();
create trigger _200_normalize before insert or update on leads
  for each row execute function tg_leads__normalize();
alter table leads enable row level security;

-- Each imported CSV row points at the lead it produced (added here because
-- leads did not exist yet in migration 003).
alter table csv_import_rows add column lead_id uuid references leads (id) on delete set null;
create index csv_import_rows_lead_id_idx on csv_import_rows (lead_id);
comment on column csv_import_rows.lead_id is E'The lead this row inserted, updated or duplicated.';

comment on table leads is E'People to contact, one row per person (de-duplicated by email, else LinkedIn URL), linked to their company.';
comment on column leads.first_name is E'First name.';
comment on column leads.last_name is E'Last name.';
comment on column leads.full_name is E'First and last name (generated).';
comment on column leads.email is E'Work email, lower-case and trimmed; unique.';
comment on column leads.email_status is E'Email verification status from the source, e.g. Apollo Verified, Unavailable.';
comment on column leads.secondary_email is E'Another email address of the person.';
comment on column leads.phone is E'Direct or work phone.';
comment on column leads.mobile_phone is E'Mobile phone.';
comment on column leads.job_title is E'Job title.';
comment on column leads.seniority is E'Seniority, e.g. Founder, C suite, Vp, Director, Manager.';
comment on column leads.departments is E'Departments, e.g. Sales, Engineering & Technical.';
comment on column leads.linkedin_url is E'Personal LinkedIn URL; de-duplication key when there is no email.';
comment on column leads.twitter_url is E'Twitter/X URL.';
comment on column leads.facebook_url is E'Facebook URL.';
comment on column leads.city is E'City of the person.';
comment on column leads.state is E'State or region of the person.';
comment on column leads.country is E'Country of the person.';
comment on column leads.company_id is E'The company the lead works at.';
comment on column leads.lead_source is E'Where the lead first came from: csv, instantly, vapi, linkedin, manual, api.';
comment on column leads.apollo_contact_id is E'Apollo Contact Id (not unique: Apollo gives one person several ids).';
comment on column leads.apollo_data is E'Apollo''s columns for this person as last imported.';
comment on column leads.csv_import_id is E'The CSV import the lead first came from.';
comment on column leads.lead_score is E'Score 0-100 (higher is better).';
comment on column leads.lead_status is E'Lifecycle: new, qualified, contacted, replied, interested, converted, unqualified, do_not_contact.';
comment on column leads.created_at is E'When the lead was created.';
comment on column leads.updated_at is E'When the lead last changed.';
