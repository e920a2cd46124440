-- The batch's rows, parsed out of raw_row (:mapping maps field -> header;
-- :phone_headers are the person's phone columns, the primary first). The
-- matching rules are leadgraph_rules' (the same as the Instantly normaliser's).
create temp table staged on commit drop as
with parsed as materialized (  -- (materialized: phone_list runs once per row)
  select k.row_number, k.winner, k.reject_reason, coalesce(k.row_number = k.winner, false) as is_winner, k.has_email,
         case when k.has_email then k.person end as email,
         k.linkedin_key,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'first_name')), '') as first_name_cell,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'last_name')), '') as last_name_cell,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'full_name')), '') as full_name,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'job_title')), '') as job_title,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'seniority')), '') as seniority,
         array(select btrim(d) from unnest(string_to_array(r.raw_row ->> (:mapping::jsonb ->> 'departments'), ',')) d where btrim(d) <> '') as departments,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'email_status')), '') as email_status,
         leadgraph_rules.normalize_email(r.raw_row ->> (:mapping::jsonb ->> 'secondary_email')) as secondary_email,
         -- Every phone of the row, in column order: the first is the phone.
         leadgraph_rules.phone_list(array(
           select r.raw_row ->> h.header from unnest(:phone_headers::text[]) with ordinality h (header, n) order by h.n
         )) as phones,
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
         btrim(r.raw_row ->> (:mapping::jsonb ->> 'employee_count')) as employee_count_cell,
         btrim(r.raw_row ->> (:mapping::jsonb ->> 'annual_revenue')) as annual_revenue_cell,
         btrim(r.raw_row ->> (:mapping::jsonb ->> 'total_funding')) as total_funding_cell,
         nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'latest_funding')), '') as latest_funding,
         array(select btrim(x) from unnest(string_to_array(r.raw_row ->> (:mapping::jsonb ->> 'keywords'), ',')) x where btrim(x) <> '') as keywords,
         array(select btrim(x) from unnest(string_to_array(r.raw_row ->> (:mapping::jsonb ->> 'technologies'), ',')) x where btrim(x) <> '') as technologies,
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
  from import_keys k
  join csv_import_rows r on r.csv_import_id = :import_id and r.row_number = k.row_number
  where k.batch_row between :from_row and :to_row
),
-- A company's domain depends on the website and the email's domain only:
-- worked out once for each pair in the batch (several people per company).
company_domains as (
  select x.site, x.email_domain, leadgraph_rules.company_domain_from(nullif(x.site, ''), min(x.email)) as domain
  from (
    select coalesce(p.company_domain_cell, p.website, '') as site, coalesce(split_part(p.email, '@', 2), '') as email_domain, p.email
    from parsed p
    where p.is_winner
  ) x
  group by x.site, x.email_domain
)
select p.row_number, p.winner, p.reject_reason, p.is_winner, p.has_email, p.email, p.linkedin_key,
       coalesce(p.first_name_cell, leadgraph_rules.first_name_of(p.full_name)) as first_name,
       coalesce(p.last_name_cell, leadgraph_rules.last_name_of(p.full_name)) as last_name,
       p.job_title, p.seniority, p.departments, p.email_status, p.secondary_email,
       p.phones[1] as phone, p.phones, p.mobile_phone, p.linkedin_url, p.city, p.state, p.country, p.apollo_contact_id,
       p.company_name, p.website, p.industry,
       case when p.employee_count_cell ~ '^[0-9]{1,9}$' then p.employee_count_cell::integer end as employee_count,
       case when p.annual_revenue_cell ~ '^[0-9]{1,15}(\.[0-9]+)?$' then p.annual_revenue_cell::numeric end as annual_revenue,
       case when p.total_funding_cell ~ '^[0-9]{1,15}(\.[0-9]+)?$' then p.total_funding_cell::numeric end as total_funding,
       p.latest_funding, p.keywords, p.technologies, p.description, p.company_linkedin_url, p.facebook_url, p.twitter_url,
       p.company_address, p.company_city, p.company_state, p.company_country, p.company_phone, p.apollo_account_id,
       d.domain,
       null::uuid as company_id,
       null::uuid as lead_id,
       gen_random_uuid() as new_lead_id,
       false as lead_is_new,
       false as lead_changed,
       null::integer as same_lead_as
from parsed p
left join company_domains d
  on p.is_winner and d.site = coalesce(p.company_domain_cell, p.website, '') and d.email_domain = coalesce(split_part(p.email, '@', 2), '')
