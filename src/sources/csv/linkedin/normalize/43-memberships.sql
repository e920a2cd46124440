-- The lead joins the campaign of its touch (once).
insert into campaign_leads (campaign_id, lead_id)
select distinct s.campaign_id, s.lead_id
from staged s
where s.reject_reason is null and s.campaign_id is not null
order by 1, 2
on conflict (campaign_id, lead_id) do nothing
