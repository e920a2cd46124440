-- (Temp tables are never analysed by autovacuum: the batches' plans need the row count.)
analyze import_keys
