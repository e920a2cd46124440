-- A person known only by LinkedIn (e.g. from a CSV without email) gets the
-- email Instantly has for them (the CSV import's matching rule, with the
-- expression leads_linkedin_key_idx is on). One lead per email and one email
-- per lead (two LinkedIn-only leads of one person, or one person under two
-- URLs, must not end with the same email).
update leads l set email = m.lead_email
from (
  select distinct on (p.lead_email) p.id, p.lead_email
  from (
    select distinct on (x.id) x.id, s.lead_email
    from staged s
    join leads x on leadgraph_rules.normalize_linkedin_url(x.linkedin_url) = leadgraph_rules.normalize_linkedin_url(s.linkedin_url)
                and x.email is null
    where s.linkedin_url is not null and s.lead_id is null
    order by x.id, s.lead_email
  ) p
  order by p.lead_email, p.id
) m
where l.id = m.id
