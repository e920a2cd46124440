-- New companies of the batch's winning rows, by domain (the first row of
-- each). Known domains are left out before the insert: its triggers would
-- run for them before the conflict is found.
insert into companies (company_name, company_domain, website, industry, employee_count, annual_revenue, total_funding,
                       latest_funding, description, keywords, technologies, country, state, city, address, company_phone,
                       linkedin_url, facebook_url, twitter_url, apollo_account_id, first_seen_in_csv_id, last_seen_in_csv_id)
select distinct on (s.domain)
       s.company_name, s.domain, s.website, s.industry, s.employee_count, s.annual_revenue, s.total_funding, s.latest_funding,
       s.description, s.keywords, s.technologies, s.company_country, s.company_state, s.company_city, s.company_address,
       s.company_phone, s.company_linkedin_url, s.facebook_url, s.twitter_url, s.apollo_account_id, :import_id, :import_id
from staged s
where s.is_winner and s.domain is not null
  and not exists (select 1 from companies c where c.company_domain = s.domain)
order by s.domain, s.row_number
on conflict (company_domain) do nothing
