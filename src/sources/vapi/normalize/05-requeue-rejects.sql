-- Calls set aside at normalisation (no lead has the number, several have it)
-- are tried again once a lead that may have the number (the same phone key)
-- was added or changed after they were last tried; all of them when asked
-- (:all: also those whose externalId or lead was missing).
insert into leadgraph_private.vapi_pending (resource, source_id)
select r.resource, r.source_id
from vapi_rejects r
where r.stage = 'normalize'
  and (:all::boolean
       or (r.resource = 'call'
           and exists (select 1 from leads l
                       where leadgraph_rules.phone_keys(l.phones) && leadgraph_rules.phone_keys(array[r.raw_json #>> '{customer,number}'])
                         and l.updated_at > r.updated_at)))
on conflict (resource, source_id) do nothing
