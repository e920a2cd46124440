-- Each touch's event, and the import row that first recorded it.
update staged s set event_id = e.id, event_row_id = e.csv_import_row_id
from events e
where s.reject_reason is null and e.event_source = 'linkedin' and e.lead_id = s.lead_id and e.event_type = s.event_type
  and e.event_timestamp = s.event_at and md5(coalesce(e.linkedin_message_text, '')) = md5(coalesce(s.message_text, ''))
