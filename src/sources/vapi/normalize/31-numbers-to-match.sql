-- The calls left to find by number (the code reads it in E.164).
select s.vapi_call_id, s.customer_number, s.previous_lead_id
from staged s
where s.resource = 'call' and s.lead_id is null and s.customer_number is not null
order by s.vapi_call_id
