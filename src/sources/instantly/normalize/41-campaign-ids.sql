update staged s set campaign_id = c.id from campaigns c where c.instantly_campaign_id = s.instantly_campaign_id
