-- Rows inserted directly (GraphQL, SQL) may come without the header list: the keys of the first rows stand in for it.
-- (A row that is not an object has no keys: key-rows rejects it.)
select distinct jsonb_object_keys(raw_row) as header
from (select raw_row from leadgraph_private.csv_import_raw_rows where csv_import_id = :import_id and jsonb_typeof(raw_row) = 'object'
      order by row_number limit 100) r
