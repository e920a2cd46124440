-- The batch's rows: their cells (stage-import) and who they are (key-rows).
create temp table staged on commit drop as
with parsed as materialized (
  select k.row_number, k.winner, k.reject_reason, coalesce(k.row_number = k.winner, false) as is_winner, k.has_email,
         case when k.has_email then k.person end as email,
         k.linkedin_key,
         c.first_name, c.last_name, c.job_title, c.seniority, c.departments, c.email_status, c.secondary_email,
         c.phone, c.phones, c.mobile_phone, c.linkedin_url, c.city, c.state, c.country, c.apollo_contact_id,
         c.company_name, c.website, c.company_domain_cell, c.industry, c.employee_count, c.annual_revenue, c.total_funding,
         c.latest_funding, c.keywords, c.technologies, c.description, c.company_linkedin_url, c.facebook_url, c.twitter_url,
         c.company_address, c.company_city, c.company_state, c.company_country, c.company_phone, c.apollo_account_id
  from import_keys k
  join import_cells c on c.row_number = k.row_number
  -- (a row is written with or after its own batch: no cell past :to_row is read)
  where k.batch_row between :from_row and :to_row and c.row_number <= :to_row
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
       p.first_name, p.last_name, p.job_title, p.seniority, p.departments, p.email_status, p.secondary_email,
       p.phone, p.phones, p.mobile_phone, p.linkedin_url, p.city, p.state, p.country, p.apollo_contact_id,
       p.company_name, p.website, p.industry, p.employee_count, p.annual_revenue, p.total_funding,
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
