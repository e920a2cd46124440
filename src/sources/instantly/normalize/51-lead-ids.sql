update staged s set lead_id = l.id from leads l where s.lead_id is null and l.email = s.lead_email
