-- Each winning row's company: by domain, else the oldest company with its Apollo account id.
update staged s set company_id = coalesce(
  (select c.id from companies c where c.company_domain = s.domain),
  (select c.id from companies c where s.domain is null and c.apollo_account_id = s.apollo_account_id order by c.created_at, c.id limit 1))
where s.is_winner and (s.domain is not null or s.apollo_account_id is not null)
