-- Processing starts (again) from the first row: counts from zero.
update csv_imports_raw set
  import_status = 'processing',
  processing_started_at = now(),
  processed_rows = 0,
  error_log = null,
  total_rows = (select count(*) from leadgraph_private.csv_import_raw_rows where csv_import_id = :import_id)
where id = :import_id
returning total_rows
