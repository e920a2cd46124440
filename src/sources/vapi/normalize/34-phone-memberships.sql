-- A call found by number is for the lead's membership of a campaign that
-- makes calls: the one it was for before (a new membership does not take
-- an earlier call), else the VAPI campaign's (campaigns.vapi_campaign_id =
-- call.campaignId), else an active campaign's, else the newest membership.
-- None: the event has no campaign.
update staged s set campaign_lead_id = (
  select cl.id
  from campaign_leads cl join campaigns c on c.id = cl.campaign_id
  where cl.lead_id = s.lead_id and c.uses_calls
  order by cl.id = s.previous_campaign_lead_id desc nulls last,
           c.vapi_campaign_id = s.vapi_campaign_id desc nulls last,
           c.campaign_status = 'active' desc,
           cl.added_at desc, cl.id
  limit 1)
where s.matched_by = 'phone'
