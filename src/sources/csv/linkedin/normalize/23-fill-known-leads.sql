-- Known leads get what they lack from the touches: the profile URL (a lead
-- matched by email), the email (one nobody has yet), the name. Nothing is
-- replaced: an outreach tool's copy of a profile is not newer than the lead's.
update leads l set
  linkedin_url = coalesce(l.linkedin_url, p.profile_url),
  email = coalesce(l.email, case when p.email_free then p.email end),
  first_name = coalesce(l.first_name, p.first_name),
  last_name = coalesce(l.last_name, p.last_name)
from (
  -- (an email nobody has, and no other person of the file gives)
  select p.*, p.email is not null and not exists (select 1 from leads o where o.email = p.email)
         and not exists (select 1 from linkedin_people q where q.email = p.email and q.person <> p.person) as email_free
  from linkedin_people p
) p
where p.first_row between :from_row and :to_row and p.lead_id = l.id and not p.lead_is_new
  and ((l.linkedin_url is null and p.profile_url is not null)
       or (l.email is null and p.email_free)
       or (l.first_name is null and p.first_name is not null)
       or (l.last_name is null and p.last_name is not null))
