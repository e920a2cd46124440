--! Previous: sha1:d37cdc251022d2cbb1719c479983796d60501ebb
--! Hash: sha1:e7f465c879521a26d34bb408f0d388eaaa1f882d
--! Message: companies, de-duplicated by normalised domain

-- Seed migration 005: companies, de-duplicated by domain.
-- Several leads usually work at one company (26% in the seed's CSV analysis).

-- Domains are compared in one normal form everywhere (imports, Instantly, GraphQL):
-- lower-case, without scheme, `www.`, port, path, query or trailing dot.
create function normalize_domain(input text) returns text
  language sql immutable strict parallel safe
as $$
  select nullif(
    rtrim(
      regexp_replace(
        regexp_replace(
          regexp_replace(lower(btrim(input)), '^[a-z][a-z0-9+.-]*://', ''),  -- scheme
          '[/?#].*$', ''),                                                   -- path, query, fragment
        '^([^@]*@)?(www\.)?([^:]*)(:[0-9]*)?$', '\3'),                       -- user@, www., :port
      '.'),
    '')
$$;
comment on function normalize_domain(text) is E'The normal form of a website or domain: lower-case, no scheme, www., port, path or trailing dot. normalize_domain(''https://www.Acme.com:443/about'') = ''acme.com''.';

create table companies (
  id uuid primary key default gen_random_uuid(),
  company_name text,
  company_domain text unique,
  website text,
  industry text,
  company_size text,
  employee_count integer check (employee_count >= 0),
  annual_revenue numeric check (annual_revenue >= 0),
  total_funding numeric check (total_funding >= 0),
  latest_funding text,
  founded_year integer check (founded_year between 1000 and 3000),
  description text,
  keywords text[] not null default '{}',
  technologies text[] not null default '{}',
  country text,
  state text,
  city text,
  address text,
  company_phone text,
  linkedin_url text,
  facebook_url text,
  twitter_url text,
  apollo_account_id text,
  apollo_data jsonb,
  first_seen_in_csv_id uuid references csv_imports_raw (id) on delete set null,
  last_seen_in_csv_id uuid references csv_imports_raw (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint companies_domain_normalized check (company_domain = normalize_domain(company_domain)),
  constraint companies_has_identity check (company_name is not null or company_domain is not null or apollo_account_id is not null)
);
create index companies_company_name_idx on companies (company_name);
create index companies_industry_idx on companies (industry);
create index companies_company_size_idx on companies (company_size);
create index companies_apollo_account_id_idx on companies (apollo_account_id);
create index companies_first_seen_in_csv_id_idx on companies (first_seen_in_csv_id);
create index companies_last_seen_in_csv_id_idx on companies (last_seen_in_csv_id);

-- Accept any spelling of a domain on write; store the normal form.
create function tg_companies__normalize() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  NEW.company_domain = normalize_domain(NEW.company_domain);
  if NEW.company_domain is null and NEW.website is not null and TG_OP = 'INSERT' then
    NEW.company_domain = normalize_domain(NEW.website);
  end if;
  return NEW;
end;
$$;
comment on function tg_companies__normalize() is E'Trigger function: stores company_domain in its normal form (from website when no domain is given).';
create trigger _100_timestamps before insert or update on companies
  for each row execute function tg__timestamps();
create trigger _200_normalize before insert or update on companies
  for each row execute function tg_companies__normalize();
alter table companies enable row level security;

comment on table companies is E'Companies, one row per company: leads at the same company share it. De-duplicated by normalised domain, then by Apollo account id.';
comment on column companies.company_name is E'Company name.';
comment on column companies.company_domain is E'The company''s domain in normal form (e.g. acme.com); unique.';
comment on column companies.website is E'Website as given by the source.';
comment on column companies.industry is E'Industry (Apollo: lower-case, e.g. information technology & services).';
comment on column companies.company_size is E'Size band, e.g. 11-50.';
comment on column companies.employee_count is E'Number of employees (Apollo # Employees).';
comment on column companies.annual_revenue is E'Annual revenue (Apollo, USD).';
comment on column companies.total_funding is E'Total funding raised (Apollo, USD).';
comment on column companies.latest_funding is E'Latest funding round, e.g. Seed, Series A.';
comment on column companies.founded_year is E'Year founded.';
comment on column companies.description is E'What the company does (Apollo SEO Description).';
comment on column companies.keywords is E'Keywords (Apollo).';
comment on column companies.technologies is E'Technologies the company uses (Apollo).';
comment on column companies.country is E'Country of the company.';
comment on column companies.state is E'State or region of the company.';
comment on column companies.city is E'City of the company.';
comment on column companies.address is E'Street address of the company.';
comment on column companies.company_phone is E'Company phone number.';
comment on column companies.linkedin_url is E'Company LinkedIn URL.';
comment on column companies.facebook_url is E'Company Facebook URL.';
comment on column companies.twitter_url is E'Company Twitter/X URL.';
comment on column companies.apollo_account_id is E'Apollo Account Id (24-hex); second de-duplication key after the domain.';
comment on column companies.apollo_data is E'Apollo''s company columns as last imported.';
comment on column companies.first_seen_in_csv_id is E'The CSV import that first brought this company.';
comment on column companies.last_seen_in_csv_id is E'The latest CSV import that mentioned this company.';
comment on column companies.created_at is E'When the company was created.';
comment on column companies.updated_at is E'When the company last changed.';
