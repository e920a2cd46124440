-- Without a domain, a named company with an Apollo account id we have not
-- seen is a company of its own. An account id alone creates nothing: it
-- only links to a company known by it (next step).
insert into companies (company_name, apollo_account_id, industry, employee_count, first_seen_in_csv_id, last_seen_in_csv_id)
select distinct on (s.apollo_account_id) s.company_name, s.apollo_account_id, s.industry, s.employee_count, :import_id, :import_id
from staged s
where s.is_winner and s.domain is null and s.company_name is not null and s.apollo_account_id is not null
  and not exists (select 1 from companies c where c.apollo_account_id = s.apollo_account_id)
order by s.apollo_account_id, s.row_number
