-- The import's counts, from its rows' outcomes.
update csv_imports_raw i set
  total_rows = c.total,
  processed_rows = c.processed,
  leads_inserted = c.inserted,
  leads_updated = c.updated,
  leads_unchanged = c.unchanged,
  duplicate_rows = c.duplicates,
  failed_rows = c.rejected,
  companies_inserted = (select count(*) from companies where first_seen_in_csv_id = i.id),
  companies_matched = (
    select count(distinct l.company_id) from leadgraph_private.csv_import_row_outcomes r join leads l on l.id = r.lead_id
    join companies co on co.id = l.company_id
    where r.csv_import_id = i.id and co.first_seen_in_csv_id is distinct from i.id
  ),
  error_log = case when c.rejected > 0 then jsonb_build_object('rejected', c.reasons) end,
  import_status = case when c.rejected > 0 then 'completed_with_errors' else 'completed' end,
  processing_completed_at = now()
from (
  select (select count(*) from leadgraph_private.csv_import_raw_rows where csv_import_id = :import_id)::int as total,
         count(*)::int as processed,
         count(*) filter (where outcome = 'inserted')::int as inserted,
         count(*) filter (where outcome = 'updated')::int as updated,
         count(*) filter (where outcome = 'unchanged')::int as unchanged,
         count(*) filter (where outcome = 'duplicate')::int as duplicates,
         count(*) filter (where outcome = 'rejected')::int as rejected,
         coalesce((select jsonb_object_agg(reason, n) from (
           select outcome_reason as reason, count(*) as n from leadgraph_private.csv_import_row_outcomes
           where csv_import_id = :import_id and outcome = 'rejected' group by 1 order by 2 desc limit 20) t), '{}') as reasons
  from leadgraph_private.csv_import_row_outcomes where csv_import_id = :import_id
) c
where i.id = :import_id
returning i.import_status
