-- The known lead of each winning row: by email; a row without an email by
-- its LinkedIn profile (the oldest lead with it). One index lookup per row,
-- on exactly the indexed expressions (leads_email_key, leads_linkedin_key_idx).
update staged s set lead_id = coalesce(
  (select l.id from leads l where l.email = s.email),
  (select l.id from leads l
   where s.email is null and leadgraph_rules.normalize_linkedin_url(l.linkedin_url) = s.linkedin_key
   order by l.created_at, l.id limit 1))
where s.is_winner and s.lead_id is null
