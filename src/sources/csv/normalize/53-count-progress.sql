-- (no row back: the import was deleted meanwhile, and the normaliser stops)
update csv_imports_raw set processed_rows = processed_rows + (select count(*) from staged) where id = :import_id
returning id
