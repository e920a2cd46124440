-- A person nobody knows becomes a lead when their rows give a profile we
-- can match and a name (a touch names someone we reached on LinkedIn; an
-- email alone or a bare URL is too little to make a person of).
insert into leads (id, first_name, last_name, email, linkedin_url, lead_source, csv_import_id)
select p.new_lead_id, p.first_name, p.last_name, p.email, p.profile_url, 'linkedin', :import_id
from linkedin_people p
where p.first_row between :from_row and :to_row and p.lead_id is null
  and p.url_key is not null and (p.first_name is not null or p.last_name is not null)
on conflict (email) do nothing
