-- Leads that may have these numbers: the same last 8 digits (the GIN index
-- on leadgraph_rules.phone_keys(phones)); the code then compares E.164 forms.
select n.vapi_call_id, l.id as lead_id, l.phones, l.country
from unnest(:vapi_call_ids::text[], :phone_keys::text[]) as n (vapi_call_id, phone_key)
join leads l on leadgraph_rules.phone_keys(l.phones) @> array[n.phone_key]
order by n.vapi_call_id, l.id
