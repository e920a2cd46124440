-- A row rejected before and usable now (a scheduled email since sent).
delete from instantly_rejects r
using staged s
where s.reject_reason is null and r.stage = 'normalize' and r.resource = s.source and r.source_id = s.source_id
