-- A call rejected before that has its lead now.
delete from vapi_rejects r
using staged s
where s.reject_reason is null and r.stage = 'normalize' and r.resource = s.resource and r.source_id = s.source_id
