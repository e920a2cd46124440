-- The import record: its header row (as uploaded), the campaign to enrol its leads in, its kind (leads or linkedin).
select headers, campaign_id, import_kind from csv_imports_raw where id = :import_id
