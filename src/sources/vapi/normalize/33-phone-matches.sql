-- What the code found: the lead, or why there is none.
update staged s set lead_id = m.lead_id, matched_by = case when m.lead_id is not null then 'phone' end,
                    reject_reason = case when m.lead_id is null then m.reason end
from unnest(:vapi_call_ids::text[], :lead_ids::uuid[], :reasons::text[]) as m (vapi_call_id, lead_id, reason)
where s.resource = 'call' and s.vapi_call_id = m.vapi_call_id
