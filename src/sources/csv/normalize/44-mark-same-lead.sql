-- A winning row that reaches a lead an earlier winning row of this import
-- already reached (one by email, the other by LinkedIn profile) is a
-- duplicate of that row: one outcome per lead and import. Earlier rows are
-- this batch's and the winners of earlier batches of this run (import_keys).
update staged s set same_lead_as = d.earlier
from (
  select x.row_number,
         least(
           nullif(x.first_of_lead, x.row_number),
           (select min(k.row_number) from import_keys k where k.lead_id = x.lead_id)
         ) as earlier
  from (
    select row_number, lead_id, min(row_number) over (partition by lead_id) as first_of_lead
    from staged
    where is_winner and lead_id is not null and not lead_is_new
  ) x
) d
where s.row_number = d.row_number and d.earlier is not null
