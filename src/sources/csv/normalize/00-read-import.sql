-- The import record: its header row (as uploaded) and the campaign to enrol its leads in.
select headers, campaign_id from csv_imports_raw where id = :import_id
