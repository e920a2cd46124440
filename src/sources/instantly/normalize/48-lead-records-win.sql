-- For a lead Instantly made, its Instantly lead record wins over what an
-- email's display name or a webhook gave first (non-empty values only), so
-- the lead ends the same whether its emails or its record came first. Leads
-- from other sources (a CSV) only get their empty fields filled (step leads).
update leads l set
  first_name = coalesce(r.first_name, l.first_name),
  last_name = coalesce(r.last_name, l.last_name),
  job_title = coalesce(r.job_title, l.job_title),
  phone = coalesce(r.phone, l.phone),
  phones = leadgraph_rules.phone_list(array[coalesce(r.phone, l.phone)] || l.phones),
  linkedin_url = coalesce(r.linkedin_url, l.linkedin_url)
from (
  -- After step people-from-lead-records every row of an address holds the same record.
  select distinct on (lead_email) lead_email, first_name, last_name, job_title, phone, linkedin_url
  from staged where source = 'lead'
  order by lead_email, source_id
) r
where l.email = r.lead_email and l.lead_source = 'instantly'
  -- phones holds phone already (first): a phone that stays the same changes neither.
  and ((r.first_name is not null and r.first_name is distinct from l.first_name)
       or (r.last_name is not null and r.last_name is distinct from l.last_name)
       or (r.job_title is not null and r.job_title is distinct from l.job_title)
       or (r.phone is not null and r.phone is distinct from l.phone)
       or (r.linkedin_url is not null and r.linkedin_url is distinct from l.linkedin_url))
