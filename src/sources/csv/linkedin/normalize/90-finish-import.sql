-- The import's counts, from its rows' outcomes. Leads: those its touches
-- made (inserted) and the known ones they were recorded for (updated).
update csv_imports_raw i set
  total_rows = c.total,
  processed_rows = c.processed,
  events_inserted = c.inserted,
  events_unchanged = c.unchanged,
  leads_inserted = c.leads_new,
  leads_updated = c.leads_known,
  leads_unchanged = 0,
  duplicate_rows = c.duplicates,
  failed_rows = c.rejected,
  companies_inserted = 0,
  companies_matched = 0,
  error_log = case when c.rejected > 0 then jsonb_build_object('rejected', c.reasons) end,
  import_status = case when c.rejected > 0 then 'completed_with_errors' else 'completed' end,
  processing_completed_at = now()
from (
  select (select count(*) from leadgraph_private.csv_import_raw_rows where csv_import_id = :import_id)::int as total,
         count(*)::int as processed,
         count(*) filter (where r.outcome = 'inserted')::int as inserted,
         count(*) filter (where r.outcome = 'unchanged')::int as unchanged,
         count(*) filter (where r.outcome = 'duplicate')::int as duplicates,
         count(*) filter (where r.outcome = 'rejected')::int as rejected,
         count(distinct r.lead_id) filter (where l.lead_source = 'linkedin' and l.csv_import_id = :import_id)::int as leads_new,
         count(distinct r.lead_id) filter (where not (l.lead_source = 'linkedin' and l.csv_import_id = :import_id))::int as leads_known,
         coalesce((select jsonb_object_agg(reason, n) from (
           select outcome_reason as reason, count(*) as n from leadgraph_private.csv_import_row_outcomes
           where csv_import_id = :import_id and outcome = 'rejected' group by 1 order by 2 desc limit 20) t), '{}') as reasons
  from leadgraph_private.csv_import_row_outcomes r
  left join leads l on l.id = r.lead_id
  where r.csv_import_id = :import_id
) c
where i.id = :import_id
returning i.import_status
