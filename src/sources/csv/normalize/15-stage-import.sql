-- Every row's cells, parsed out of raw_row once for the whole import
-- (:mapping maps field -> header; :phone_headers are the person's phone
-- columns, the primary first): key-rows and each batch read this instead of
-- the JSON. A temp table, like import_keys: it lasts across the batches'
-- transactions. The matching rules are leadgraph_rules' (the same as the
-- Instantly normaliser's). The cells are parsed by a parallel scan (on
-- every core): no expression in it may be a subquery, hence split_list and
-- cells_of; "offset 0" keeps it a subquery, so phone_list runs once a row.
create temp table import_cells as
with parsed as (
  select r.row_number, jsonb_typeof(r.raw_row) = 'object' as is_object,
         leadgraph_rules.normalize_email(r.raw_row ->> (:mapping::jsonb ->> 'email')) as email,
         leadgraph_rules.normalize_linkedin_url(r.raw_row ->> (:mapping::jsonb ->> 'linkedin_url')) as linkedin_key,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'first_name')), '') as first_name_cell,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'last_name')), '') as last_name_cell,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'full_name')), '') as full_name,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'job_title')), '') as job_title,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'seniority')), '') as seniority,
         leadgraph_rules.split_list(r.raw_row ->> (:mapping::jsonb ->> 'departments')) as departments,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'email_status')), '') as email_status,
         leadgraph_rules.normalize_email(r.raw_row ->> (:mapping::jsonb ->> 'secondary_email')) as secondary_email,
         -- Every phone of the row, in column order: the first is the phone.
         leadgraph_rules.phone_list(leadgraph_private.cells_of(r.raw_row, :phone_headers::text[])) as phones,
         leadgraph_rules.clean_phone(r.raw_row ->> (:mapping::jsonb ->> 'mobile_phone')) as mobile_phone,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'linkedin_url')), '') as linkedin_url,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'city')), '') as city,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'state')), '') as state,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'country')), '') as country,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'apollo_contact_id')), '') as apollo_contact_id,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'company_name')), '') as company_name,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'website')), '') as website,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'company_domain')), '') as company_domain_cell,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'industry')), '') as industry,
         leadgraph_rules.parse_number(r.raw_row ->> (:mapping::jsonb ->> 'employee_count')) as employee_count_number,
         leadgraph_rules.parse_number(r.raw_row ->> (:mapping::jsonb ->> 'annual_revenue')) as annual_revenue_number,
         leadgraph_rules.parse_number(r.raw_row ->> (:mapping::jsonb ->> 'total_funding')) as total_funding_number,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'latest_funding')), '') as latest_funding,
         leadgraph_rules.split_list(r.raw_row ->> (:mapping::jsonb ->> 'keywords')) as keywords,
         leadgraph_rules.split_list(r.raw_row ->> (:mapping::jsonb ->> 'technologies')) as technologies,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'description')), '') as description,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'company_linkedin_url')), '') as company_linkedin_url,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'facebook_url')), '') as facebook_url,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'twitter_url')), '') as twitter_url,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'company_address')), '') as company_address,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'company_city')), '') as company_city,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'company_state')), '') as company_state,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'company_country')), '') as company_country,
         leadgraph_rules.clean_phone(r.raw_row ->> (:mapping::jsonb ->> 'company_phone')) as company_phone,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'apollo_account_id')), '') as apollo_account_id
  from leadgraph_private.csv_import_raw_rows r
  where r.csv_import_id = :import_id
)
select p.row_number, p.is_object, p.email, leadgraph_rules.is_email(p.email) as email_is_valid, p.linkedin_key,
       coalesce(p.first_name_cell, leadgraph_rules.first_name_of(p.full_name)) as first_name,
       coalesce(p.last_name_cell, leadgraph_rules.last_name_of(p.full_name)) as last_name,
       p.job_title, p.seniority, p.departments, p.email_status, p.secondary_email,
       p.phones[1] as phone, p.phones, p.mobile_phone, p.linkedin_url, p.city, p.state, p.country, p.apollo_contact_id,
       p.company_name, p.website, p.company_domain_cell, p.industry,
       -- (numbers as written, 1.200 and 1 200 too: parse_number; whole employees; amounts as the columns hold them)
       case when p.employee_count_number = trunc(p.employee_count_number) and p.employee_count_number < 1e9
            then p.employee_count_number::integer end as employee_count,
       case when p.annual_revenue_number < 1e15 then p.annual_revenue_number end as annual_revenue,
       case when p.total_funding_number < 1e15 then p.total_funding_number end as total_funding,
       p.latest_funding, p.keywords, p.technologies, p.description, p.company_linkedin_url, p.facebook_url, p.twitter_url,
       p.company_address, p.company_city, p.company_state, p.company_country, p.company_phone, p.apollo_account_id
from (select * from parsed offset 0) p
