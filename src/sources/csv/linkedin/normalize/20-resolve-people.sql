-- The known lead of each person whose first row is in this batch: by
-- profile (the oldest lead with it: the index of leads_linkedin_key_idx),
-- else by email. Run again after insert-people, for leads another writer
-- made meanwhile.
update linkedin_people p set lead_id = coalesce(
  (select l.id from leads l
   where p.url_key is not null and leadgraph_rules.normalize_linkedin_url(l.linkedin_url) = p.url_key
   order by l.created_at, l.id limit 1),
  (select l.id from leads l where p.email is not null and l.email = p.email))
where p.first_row between :from_row and :to_row and p.lead_id is null
