-- customer.externalId: leadgraph sets it to the membership's id when it
-- places a call. A value that is no membership (someone else's id, a
-- membership deleted since) falls back to the number.
update staged s set lead_id = cl.lead_id, campaign_id = cl.campaign_id, campaign_lead_id = cl.id, matched_by = 'external_id',
                    reject_reason = null
from campaign_leads cl
where s.resource = 'call'
  and cl.id = case when s.external_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then s.external_id::uuid end
