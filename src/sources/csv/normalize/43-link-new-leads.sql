-- The rows whose lead the previous step created.
update staged s set lead_id = s.new_lead_id, lead_is_new = true
where s.is_winner and s.lead_id is null and exists (select 1 from leads l where l.id = s.new_lead_id)
