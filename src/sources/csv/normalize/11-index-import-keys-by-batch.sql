create index if not exists import_keys_batch_row_idx on import_keys (batch_row)
