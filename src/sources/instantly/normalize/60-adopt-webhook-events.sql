-- A webhook event that is an email without its id (email_id is optional in
-- Instantly's payload), and the same email from the sync: one event. Matched
-- by lead, campaign, type and time (within :same_email_window). One event per
-- email and one email per event (the nearest in time); run until nothing is
-- left to pair, as one email may be the nearest to two events (two quick
-- replies announced without ids, only one of them synced yet).
update events e set instantly_email_id = m.instantly_email_id
from (
  select distinct on (p.instantly_email_id) p.id, p.instantly_email_id
  from (
    select distinct on (e2.id) e2.id, s.instantly_email_id, abs(extract(epoch from e2.event_timestamp - s.event_timestamp)) as distance
    from staged s join events e2
      on e2.lead_id = s.lead_id and e2.event_type = s.event_type and e2.event_source = 'instantly'
     and e2.campaign_id is not distinct from s.campaign_id and e2.instantly_email_id is null
     and e2.event_timestamp between s.event_timestamp - :same_email_window::interval and s.event_timestamp + :same_email_window::interval
    where s.source = 'email'
      and not exists (select 1 from events x where x.instantly_email_id = s.instantly_email_id)
    order by e2.id, distance, s.instantly_email_id
  ) p
  order by p.instantly_email_id, p.distance, p.id
) m
where e.id = m.id
