drop table if exists import_cells
