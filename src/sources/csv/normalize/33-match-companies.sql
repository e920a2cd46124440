-- Each winning row's company: by domain, else the oldest company with its Apollo account id.
update staged s set company_id = m.company_id
from (
  select x.row_number,
         coalesce(
           (select c.id from companies c where c.company_domain = x.domain),
           (select c.id from companies c where x.domain is null and c.apollo_account_id = x.apollo_account_id
            order by c.created_at, c.id limit 1)) as company_id
  from staged x
  where x.is_winner and (x.domain is not null or x.apollo_account_id is not null)
) m
where s.row_number = m.row_number and m.company_id is not null
