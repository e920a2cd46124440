-- One event per touch: the first row of the file with it writes it; a
-- touch already recorded (an earlier import of this or an overlapping
-- export) stays as it is (events_linkedin_touch_key).
insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, linkedin_message_text,
                    linkedin_profile_url, raw_data, csv_import_row_id)
select 'linkedin', s.event_type, s.lead_id, s.campaign_id, s.campaign_lead_id, s.event_at, s.message_text, s.profile_url_cell,
       s.raw_row, s.source_row_id
from staged s
where s.reject_reason is null and s.is_winner
order by s.row_number
on conflict (lead_id, event_type, event_timestamp, md5(coalesce(linkedin_message_text, ''))) where event_source = 'linkedin'
  do nothing
