-- What became of each row of the batch: inserted (its touch is a new event,
-- recorded from this row), duplicate (an earlier row of this import
-- recorded it), unchanged (an earlier import did), rejected (why).
update csv_import_rows r set
  outcome = o.outcome,
  outcome_reason = o.outcome_reason,
  duplicate_of_row_number = o.duplicate_of_row_number,
  lead_id = o.lead_id,
  processed_at = now()
from (
  select s.row_number,
         case
           when s.reject_reason is not null then 'rejected'
           when s.event_row_id = s.source_row_id then 'inserted'
           when not s.is_winner or w.csv_import_id = :import_id then 'duplicate'
           else 'unchanged'
         end as outcome,
         case
           when s.reject_reason is not null then s.reject_reason
           when s.event_row_id = s.source_row_id then null
           when not s.is_winner then 'same touch as row ' || s.touch_winner
           when w.csv_import_id = :import_id then 'same touch as row ' || w.row_number
           else 'touch already recorded by an earlier import'
         end as outcome_reason,
         case
           when s.reject_reason is not null or s.event_row_id = s.source_row_id then null
           when not s.is_winner then s.touch_winner
           when w.csv_import_id = :import_id then w.row_number
         end as duplicate_of_row_number,
         s.lead_id
  from staged s
  left join csv_import_rows w on w.id = s.event_row_id
) o
-- (the batch's rows by their key: an index lookup each)
where r.csv_import_id = :import_id and r.row_number = any(array(select row_number from staged)) and r.row_number = o.row_number
