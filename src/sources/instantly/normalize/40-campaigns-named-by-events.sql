-- Campaigns named by an email or webhook before the sync stored them.
insert into campaigns (campaign_name, instantly_campaign_id, instantly_campaign_name, uses_email, campaign_status)
select distinct on (s.instantly_campaign_id)
       coalesce(nullif(btrim(coalesce(r.campaign_name, s.campaign_name)), ''), 'Instantly campaign ' || s.instantly_campaign_id),
       s.instantly_campaign_id, coalesce(r.campaign_name, s.campaign_name), true, 'active'
from staged s left join instantly_campaigns_raw r on r.instantly_campaign_id = s.instantly_campaign_id
where s.instantly_campaign_id is not null
order by s.instantly_campaign_id
on conflict (instantly_campaign_id) do nothing
