-- The known lead of each winning row: by email; a row without an email by
-- its LinkedIn profile (the oldest lead with it). One index lookup per row,
-- on exactly the indexed expressions (leads_email_key, leads_linkedin_key_idx).
update staged s set lead_id = m.lead_id
from staged x
cross join lateral (
  select coalesce(
    (select l.id from leads l where l.email = x.email),
    (select l.id from leads l
     where x.email is null and leadgraph_rules.normalize_linkedin_url(l.linkedin_url) = x.linkedin_key
     order by l.created_at, l.id limit 1)
  ) as lead_id
) m
where s.row_number = x.row_number and x.is_winner and x.lead_id is null and m.lead_id is not null
