create index if not exists import_keys_lead_id_idx on import_keys (lead_id)
