-- A stand-in company its leads moved away from (step leads-off-stand-ins)
-- stands for nothing any more.
delete from companies c
using (select distinct lead_company_id from staged where lead_at_stand_in) s
where c.id = s.lead_company_id and c.company_name = c.company_domain
  and not exists (select 1 from leads l where l.company_id = c.id)
