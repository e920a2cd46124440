-- New people: a lead per winning row without one (with the id staged for
-- it), and the row linked to it in the same statement. A lead another
-- writer made meanwhile for the same email is found by looking up again
-- (match-leads) after this.
with inserted as (
  insert into leads (id, first_name, last_name, email, email_status, secondary_email, phone, mobile_phone, phones, job_title,
                     seniority, departments, linkedin_url, city, state, country, company_id, lead_source, apollo_contact_id,
                     apollo_data, csv_import_id)
  select s.new_lead_id, s.first_name, s.last_name, s.email, s.email_status, s.secondary_email, s.phone, s.mobile_phone, s.phones,
         s.job_title, s.seniority, s.departments, s.linkedin_url, s.city, s.state, s.country, s.company_id, 'csv',
         s.apollo_contact_id,
         (select r.raw_row from leadgraph_private.csv_import_raw_rows r where r.csv_import_id = :import_id and r.row_number = s.row_number),
         :import_id
  from staged s
  where s.is_winner and s.lead_id is null
  on conflict (email) do nothing
  returning id
)
update staged s set lead_id = s.new_lead_id, lead_is_new = true
from inserted i
where s.new_lead_id = i.id
