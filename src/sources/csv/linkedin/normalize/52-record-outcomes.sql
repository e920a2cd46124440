-- What became of each row of the batch: inserted (its touch is a new event,
-- recorded from this row), duplicate (an earlier row of this import
-- recorded it), unchanged (an earlier import did), rejected (why).
insert into leadgraph_private.csv_import_row_outcomes as r
  (csv_import_id, row_number, outcome, outcome_reason, duplicate_of_row_number, lead_id, processed_at)
select :import_id::uuid, o.row_number, o.outcome, o.outcome_reason, o.duplicate_of_row_number, o.lead_id, now()
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
  left join leadgraph_private.csv_import_raw_rows w on w.id = s.event_row_id
) o
on conflict (csv_import_id, row_number) do update set
  outcome = excluded.outcome,
  outcome_reason = excluded.outcome_reason,
  duplicate_of_row_number = excluded.duplicate_of_row_number,
  lead_id = excluded.lead_id,
  processed_at = excluded.processed_at
