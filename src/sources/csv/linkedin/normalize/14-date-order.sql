-- Slashed dates (03/04/2025) are day/month or month/day: the file says
-- which only when one of its dates has a day above 12 in one place and none
-- in the other. Otherwise (all ambiguous, or both orders) no order.
select case when bool_or(a > 12) and not bool_or(b > 12) then 'dmy'
            when bool_or(b > 12) and not bool_or(a > 12) then 'mdy' end as date_order,
       bool_or(a > 12) and bool_or(b > 12) as conflicting
from (
  select m[1]::integer as a, m[2]::integer as b
  from leadgraph_private.csv_import_raw_rows r,
       lateral regexp_match(btrim(r.raw_row ->> :timestamp_header::text), '^(\d{1,2})[/.](\d{1,2})[/.](\d{4})') m
  where r.csv_import_id = :import_id
) d
