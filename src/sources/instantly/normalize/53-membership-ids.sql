update staged s set campaign_lead_id = cl.id from campaign_leads cl where cl.campaign_id = s.campaign_id and cl.lead_id = s.lead_id
