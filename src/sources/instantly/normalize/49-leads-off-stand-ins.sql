-- A lead at a stand-in company (named after the domain of its address, made
-- before anything named the company) moves to the company a source names or
-- gives the website of: the same company the lead would have had if that
-- source had come first.
update leads l set company_id = c.id
from (
  select distinct on (lead_id) lead_id, lead_company_id, domain
  from staged
  where lead_at_stand_in and domain is not null and (company_name is not null or website is not null)
  order by lead_id, source_id
) s
join companies c on c.company_domain = s.domain
where l.id = s.lead_id and l.company_id = s.lead_company_id and c.id <> s.lead_company_id
