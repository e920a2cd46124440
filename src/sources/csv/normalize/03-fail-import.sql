-- A file that cannot give leads at all: failed, saying why.
update csv_imports_raw set import_status = 'failed', error_log = jsonb_build_object('error', :message::text),
  processing_completed_at = now()
where id = :import_id
