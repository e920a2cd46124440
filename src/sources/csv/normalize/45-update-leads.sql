-- Known leads take the row's values. Which value a field keeps: the newest
-- import's non-empty one (a job change arrives; an empty cell blanks
-- nothing); an older import only fills what is empty (reprocessing it never
-- undoes a newer one). Newest: no other import uploaded after this one
-- (see index.ts) has a row of this lead. Only leads where something changes
-- are written, and only those rows count as updated.
with this_import as (
  select id, uploaded_at from csv_imports_raw where id = :import_id
),
-- (materialized: each lead's newest is looked up once, not once per field)
incoming as materialized (
  select s.*,
         (select r.raw_row from leadgraph_private.csv_import_raw_rows r where r.csv_import_id = :import_id and r.row_number = s.row_number) as raw_row,
         not exists (
           select 1 from leadgraph_private.csv_import_row_outcomes o join csv_imports_raw oi on oi.id = o.csv_import_id
           where o.lead_id = s.lead_id and o.csv_import_id <> t.id and (oi.uploaded_at, oi.id) > (t.uploaded_at, t.id)
         ) as newest
  from staged s
  cross join this_import t
  where s.is_winner and s.lead_id is not null and not s.lead_is_new and s.same_lead_as is null
),
kept as (
  select l.id, i.row_number,
         leadgraph_rules.newest_non_empty(i.newest, i.first_name, l.first_name) as first_name,
         leadgraph_rules.newest_non_empty(i.newest, i.last_name, l.last_name) as last_name,
         leadgraph_rules.newest_non_empty(i.newest, i.email_status, l.email_status) as email_status,
         leadgraph_rules.newest_non_empty(i.newest, i.secondary_email, l.secondary_email) as secondary_email,
         leadgraph_rules.newest_non_empty(i.newest, i.phone, l.phone) as phone,
         leadgraph_rules.newest_non_empty(i.newest, i.mobile_phone, l.mobile_phone) as mobile_phone,
         -- Every phone either had, the winning side's first.
         case when i.newest then i.phones || (array[l.phone] || l.phones || array[l.mobile_phone])
              else (array[l.phone] || l.phones || array[l.mobile_phone]) || i.phones end as phones_in_order,
         leadgraph_rules.newest_non_empty(i.newest, i.job_title, l.job_title) as job_title,
         leadgraph_rules.newest_non_empty(i.newest, i.seniority, l.seniority) as seniority,
         coalesce(leadgraph_rules.newest_non_empty(i.newest, nullif(i.departments, '{}'), nullif(l.departments, '{}')), '{}') as departments,
         leadgraph_rules.newest_non_empty(i.newest, i.linkedin_url, l.linkedin_url) as linkedin_url,
         leadgraph_rules.newest_non_empty(i.newest, i.city, l.city) as city,
         leadgraph_rules.newest_non_empty(i.newest, i.state, l.state) as state,
         leadgraph_rules.newest_non_empty(i.newest, i.country, l.country) as country,
         leadgraph_rules.newest_non_empty(i.newest, i.company_id, l.company_id) as company_id,
         leadgraph_rules.newest_non_empty(i.newest, i.apollo_contact_id, l.apollo_contact_id) as apollo_contact_id,
         leadgraph_rules.newest_non_empty(i.newest, i.raw_row, l.apollo_data) as apollo_data,
         coalesce(l.csv_import_id, :import_id::uuid) as csv_import_id
  from incoming i
  join leads l on l.id = i.lead_id
),
-- (materialized: each value is worked out once, for the comparison and the write)
next as materialized (
  select kept.*, leadgraph_rules.phone_list(array[kept.phone] || kept.phones_in_order) as phones from kept
),
written as (
  update leads l set
    (first_name, last_name, email_status, secondary_email, phone, mobile_phone, phones, job_title, seniority, departments,
     linkedin_url, city, state, country, company_id, apollo_contact_id, apollo_data, csv_import_id)
    = (n.first_name, n.last_name, n.email_status, n.secondary_email, n.phone, n.mobile_phone, n.phones, n.job_title, n.seniority,
       n.departments, n.linkedin_url, n.city, n.state, n.country, n.company_id, n.apollo_contact_id, n.apollo_data, n.csv_import_id)
  from next n
  where l.id = n.id
    and (l.first_name, l.last_name, l.email_status, l.secondary_email, l.phone, l.mobile_phone, l.phones, l.job_title, l.seniority,
         l.departments, l.linkedin_url, l.city, l.state, l.country, l.company_id, l.apollo_contact_id, l.apollo_data, l.csv_import_id)
        is distinct from
        (n.first_name, n.last_name, n.email_status, n.secondary_email, n.phone, n.mobile_phone, n.phones, n.job_title, n.seniority,
         n.departments, n.linkedin_url, n.city, n.state, n.country, n.company_id, n.apollo_contact_id, n.apollo_data, n.csv_import_id)
  returning n.row_number
)
update staged s set lead_changed = true
from written w
where s.row_number = w.row_number
