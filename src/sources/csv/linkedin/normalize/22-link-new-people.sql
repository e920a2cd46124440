-- The people whose lead the previous step created.
update linkedin_people p set lead_id = p.new_lead_id, lead_is_new = true
where p.first_row between :from_row and :to_row and p.lead_id is null
  and exists (select 1 from leads l where l.id = p.new_lead_id)
