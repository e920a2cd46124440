-- New people: one lead per address, marked as coming from Instantly; known
-- ones get their empty fields filled, and every phone a source gave.
-- A new lead's last_event_at is its newest email of this batch: every one
-- becomes an event of it (61-events-from-emails.sql), which marks the lead for
-- the drain's refresh (96-refresh-last-event-at.sql); that refresh then finds
-- the value right and leaves the lead alone (one write of a wide row, not two)
-- unless later batches add newer events.
with newest as (
  select lead_email, max(event_timestamp) as event_at from staged where source = 'email' group by lead_email
)
insert into leads (email, first_name, last_name, job_title, phone, phones, linkedin_url, company_id, lead_source, last_event_at)
select distinct on (s.lead_email) s.lead_email, s.first_name, s.last_name, s.job_title, s.phone,
       case when s.phone is null then '{}' else leadgraph_rules.phone_list(array[s.phone]) end, s.linkedin_url,
       (select id from companies c where c.company_domain = s.domain), 'instantly', n.event_at
from staged s left join newest n on n.lead_email = s.lead_email
-- Known people with nothing new for them are left alone.
where (s.lead_id is null or s.first_name is not null or s.last_name is not null or s.job_title is not null
       or s.phone is not null or s.linkedin_url is not null or s.domain is not null)
  and not exists (select 1 from leads l where l.email = s.lead_email
                    and (s.first_name is null or l.first_name is not null) and (s.last_name is null or l.last_name is not null)
                    and (s.job_title is null or l.job_title is not null) and (s.phone is null or s.phone = any (l.phones))
                    and (s.linkedin_url is null or l.linkedin_url is not null) and (s.domain is null or l.company_id is not null))
order by s.lead_email, s.first_name is null, s.source_id
on conflict (email) do update set
  first_name = coalesce(leads.first_name, excluded.first_name),
  last_name = coalesce(leads.last_name, excluded.last_name),
  job_title = coalesce(leads.job_title, excluded.job_title),
  phone = coalesce(leads.phone, excluded.phone),
  phones = leadgraph_rules.phone_list(array[coalesce(leads.phone, excluded.phone)] || leads.phones || excluded.phones),
  linkedin_url = coalesce(leads.linkedin_url, excluded.linkedin_url),
  company_id = coalesce(leads.company_id, excluded.company_id)
where (leads.first_name is null and excluded.first_name is not null)
   or (leads.last_name is null and excluded.last_name is not null)
   or (leads.job_title is null and excluded.job_title is not null)
   or not (excluded.phones <@ leads.phones)
   or (leads.linkedin_url is null and excluded.linkedin_url is not null)
   or (leads.company_id is null and excluded.company_id is not null)
