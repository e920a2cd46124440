-- (Temp tables are never analysed by autovacuum: the batches' plans need the row counts.)
analyze linkedin_keys, linkedin_people
