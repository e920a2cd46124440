-- The import's campaign (when it has one) gets every lead of the batch.
insert into campaign_leads (campaign_id, lead_id)
select distinct :campaign_id::uuid, s.lead_id from staged s where s.is_winner and s.lead_id is not null
on conflict (campaign_id, lead_id) do nothing
