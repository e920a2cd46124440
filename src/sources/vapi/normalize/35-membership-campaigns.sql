update staged s set campaign_id = cl.campaign_id
from campaign_leads cl
where s.matched_by = 'phone' and cl.id = s.campaign_lead_id
