-- A person known only by LinkedIn (an earlier export without their email,
-- or Instantly) who now comes with an email not known yet: that lead gets
-- the email, instead of a second lead being made. The Instantly normaliser's
-- rule: one lead per email and one email per lead (for a lead, the file's
-- first row; for an email, the lowest lead id).
with candidates as (
  select s.row_number, s.email,
         unnest(array(
           select l.id from leads l
           where leadgraph_rules.normalize_linkedin_url(l.linkedin_url) = s.linkedin_key and l.email is null
         )) as lead_id
  from staged s
  where s.is_winner and s.email is not null and s.lead_id is null and s.linkedin_key is not null
),
pairs as (
  select distinct on (p.email) p.lead_id, p.email, p.row_number
  from (select distinct on (c.lead_id) c.lead_id, c.email, c.row_number from candidates c order by c.lead_id, c.row_number) p
  order by p.email, p.lead_id
),
adopted as (
  update leads l set email = p.email from pairs p where l.id = p.lead_id
  returning l.id, p.row_number
)
update staged s set lead_id = a.id, lead_changed = true
from adopted a
where s.row_number = a.row_number
