-- The next batch: the next :batch_size stored rows from :from_row on, as the
-- range of row numbers they span. Keyset on the row numbers that exist, so a
-- gap in the numbering (a row inserted as number 2147483647) costs nothing.
select min(row_number) as from_row, max(row_number) as to_row
from (
  select row_number from leadgraph_private.csv_import_raw_rows
  where csv_import_id = :import_id and row_number >= :from_row
  order by row_number
  limit :batch_size
) b
