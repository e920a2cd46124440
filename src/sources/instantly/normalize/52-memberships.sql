insert into campaign_leads (campaign_id, lead_id)
select distinct campaign_id, lead_id from staged s
where campaign_id is not null and lead_id is not null
  and not exists (select 1 from campaign_leads cl where cl.campaign_id = s.campaign_id and cl.lead_id = s.lead_id)
on conflict (campaign_id, lead_id) do nothing
