-- (Temp tables are never analysed by autovacuum: the batches' plans need the row counts; of import_cells only its key's statistics.)
analyze import_keys, import_cells (row_number)
