-- Known companies of the batch: their empty fields filled; the fields that
-- change over time (size, revenue, funding, technologies) take a newer
-- import's non-empty values (imports ordered by upload, see index.ts). Only
-- the companies where something changes are written.
with this_import as (
  select id, uploaded_at from csv_imports_raw where id = :import_id
),
incoming as (
  select distinct on (s.domain) s.*, c.id as known_id,
         -- Newer than the import that last set the company (later rows of one import fill only, whatever the batch size).
         seen.id is null or (seen.uploaded_at, seen.id) < (t.uploaded_at, t.id) as newer
  from staged s
  join companies c on c.company_domain = s.domain
  cross join this_import t
  left join csv_imports_raw seen on seen.id = c.last_seen_in_csv_id
  where s.is_winner and s.domain is not null
  order by s.domain, s.row_number
),
next as materialized (
  select c.id,
         -- A name that is only the domain (a stand-in: the company was first met through an email address) gives way to a real one.
         case when c.company_name is null or c.company_name = c.company_domain then coalesce(i.company_name, c.company_name)
              else c.company_name end as company_name,
         coalesce(c.website, i.website) as website,
         coalesce(c.industry, i.industry) as industry,
         leadgraph_rules.newest_non_empty(i.newer, i.employee_count, c.employee_count) as employee_count,
         leadgraph_rules.newest_non_empty(i.newer, i.annual_revenue, c.annual_revenue) as annual_revenue,
         leadgraph_rules.newest_non_empty(i.newer, i.total_funding, c.total_funding) as total_funding,
         leadgraph_rules.newest_non_empty(i.newer, i.latest_funding, c.latest_funding) as latest_funding,
         coalesce(c.description, i.description) as description,
         coalesce(nullif(c.keywords, '{}'), i.keywords) as keywords,
         coalesce(leadgraph_rules.newest_non_empty(i.newer, nullif(i.technologies, '{}'), nullif(c.technologies, '{}')), '{}') as technologies,
         coalesce(c.country, i.company_country) as country,
         coalesce(c.state, i.company_state) as state,
         coalesce(c.city, i.company_city) as city,
         coalesce(c.address, i.company_address) as address,
         coalesce(c.company_phone, i.company_phone) as company_phone,
         coalesce(c.linkedin_url, i.company_linkedin_url) as linkedin_url,
         coalesce(c.facebook_url, i.facebook_url) as facebook_url,
         coalesce(c.twitter_url, i.twitter_url) as twitter_url,
         coalesce(c.apollo_account_id, i.apollo_account_id) as apollo_account_id,
         coalesce(c.first_seen_in_csv_id, :import_id::uuid) as first_seen_in_csv_id,
         case when i.newer then :import_id::uuid else c.last_seen_in_csv_id end as last_seen_in_csv_id
  from incoming i
  join companies c on c.id = i.known_id
)
update companies c set
  (company_name, website, industry, employee_count, annual_revenue, total_funding, latest_funding, description, keywords,
   technologies, country, state, city, address, company_phone, linkedin_url, facebook_url, twitter_url, apollo_account_id,
   first_seen_in_csv_id, last_seen_in_csv_id)
  = (n.company_name, n.website, n.industry, n.employee_count, n.annual_revenue, n.total_funding, n.latest_funding, n.description,
     n.keywords, n.technologies, n.country, n.state, n.city, n.address, n.company_phone, n.linkedin_url, n.facebook_url,
     n.twitter_url, n.apollo_account_id, n.first_seen_in_csv_id, n.last_seen_in_csv_id)
from next n
where c.id = n.id
  and (c.company_name, c.website, c.industry, c.employee_count, c.annual_revenue, c.total_funding, c.latest_funding, c.description,
       c.keywords, c.technologies, c.country, c.state, c.city, c.address, c.company_phone, c.linkedin_url, c.facebook_url,
       c.twitter_url, c.apollo_account_id, c.first_seen_in_csv_id, c.last_seen_in_csv_id)
      is distinct from
      (n.company_name, n.website, n.industry, n.employee_count, n.annual_revenue, n.total_funding, n.latest_funding, n.description,
       n.keywords, n.technologies, n.country, n.state, n.city, n.address, n.company_phone, n.linkedin_url, n.facebook_url,
       n.twitter_url, n.apollo_account_id, n.first_seen_in_csv_id, n.last_seen_in_csv_id)
