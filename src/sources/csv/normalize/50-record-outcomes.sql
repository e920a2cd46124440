-- What became of each row of the batch, and its lead (a duplicate's is its
-- winner's: in this batch, or written by an earlier one). Into the narrow
-- outcomes table: an insert the first time, an update when reprocessing.
insert into leadgraph_private.csv_import_row_outcomes as r
  (csv_import_id, row_number, outcome, outcome_reason, duplicate_of_row_number, lead_id, processed_at)
select :import_id::uuid, o.row_number, o.outcome, o.outcome_reason, o.duplicate_of_row_number, o.lead_id, now()
from (
  select s.row_number,
         case
           when s.reject_reason is not null then 'rejected'
           when not s.is_winner or s.same_lead_as is not null then 'duplicate'
           -- (created by this import: in this run, or in an earlier one that was interrupted)
           when s.lead_is_new
             or (select l.lead_source = 'csv' and l.csv_import_id = :import_id from leads l where l.id = s.lead_id) then 'inserted'
           when s.lead_changed then 'updated'
           else 'unchanged'
         end as outcome,
         case
           when s.reject_reason is not null then s.reject_reason
           when not s.is_winner then 'same ' || case when s.has_email then 'email' else 'LinkedIn URL' end || ' as row ' || s.winner
           when s.same_lead_as is not null then 'same lead as row ' || s.same_lead_as
         end as outcome_reason,
         case
           when s.reject_reason is not null then null
           when not s.is_winner then s.winner
           else s.same_lead_as
         end as duplicate_of_row_number,
         case
           when s.is_winner then s.lead_id
           when s.reject_reason is null then coalesce(
             w.lead_id,
             (select e.lead_id from leadgraph_private.csv_import_row_outcomes e where e.csv_import_id = :import_id and e.row_number = s.winner))
         end as lead_id
  from staged s
  left join staged w on w.row_number = s.winner and not s.is_winner
) o
on conflict (csv_import_id, row_number) do update set
  -- A lead this import changed in an earlier run (interrupted, or reprocessed)
  -- has nothing left to change: the row stays updated.
  outcome = case when excluded.outcome = 'unchanged' and r.outcome = 'updated' and r.lead_id = excluded.lead_id
                 then 'updated' else excluded.outcome end,
  outcome_reason = excluded.outcome_reason,
  duplicate_of_row_number = excluded.duplicate_of_row_number,
  lead_id = excluded.lead_id,
  processed_at = excluded.processed_at
