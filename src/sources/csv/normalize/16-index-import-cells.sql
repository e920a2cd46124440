-- (Each batch reads its rows by row number; the key for that, and statistics for the plans.)
alter table import_cells add primary key (row_number)
