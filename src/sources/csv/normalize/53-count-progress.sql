update csv_imports_raw set processed_rows = processed_rows + (select count(*) from staged) where id = :import_id
