-- (Temp tables are never analysed by autovacuum: the batches' plans need the row counts.)
analyze import_keys, import_cells
