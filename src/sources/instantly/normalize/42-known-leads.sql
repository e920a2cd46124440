-- People we know already (most emails are to them), and their company: the
-- steps below create people and companies only for the others, and replace a
-- company only when it is a stand-in named after its domain.
update staged s set lead_id = l.id, lead_company_id = l.company_id,
                    lead_at_stand_in = coalesce(c.company_name = c.company_domain, false)
from leads l left join companies c on c.id = l.company_id
where l.email = s.lead_email
