update staged s set campaign_lead_id = cl.id
from campaign_leads cl
where s.reject_reason is null and cl.campaign_id = s.campaign_id and cl.lead_id = s.lead_id
