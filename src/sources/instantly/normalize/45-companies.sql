-- A company first seen without a name is named after its domain (a stand-in)
-- until a source gives its name, whichever batch that source is in; a real
-- name is never replaced. Within a batch the first row in source order names
-- it, as smaller batches in that order would.
insert into companies (company_name, company_domain, website)
select distinct on (s.domain) coalesce(s.company_name, s.domain), s.domain, s.website
from staged s
where s.domain is not null
order by s.domain, s.company_name is null, s.source_id
on conflict (company_domain) do update set company_name = excluded.company_name
where companies.company_name is null
   or (companies.company_name = companies.company_domain and excluded.company_name <> excluded.company_domain)
