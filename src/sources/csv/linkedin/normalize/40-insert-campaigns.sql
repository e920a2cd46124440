-- Without a campaign on the import, a row's campaign column names one:
-- matched by name in any case, else made (a LinkedIn campaign running in
-- the tool that exported it).
insert into campaigns (campaign_name, uses_email, uses_linkedin, campaign_status)
select distinct on (leadgraph_rules.fold_case(s.campaign_name)) s.campaign_name, false, true, 'active'
from staged s
where :campaign_id::uuid is null and s.campaign_name is not null and s.reject_reason is null
  and not exists (select 1 from campaigns c where leadgraph_rules.fold_case(c.campaign_name) = leadgraph_rules.fold_case(s.campaign_name))
order by leadgraph_rules.fold_case(s.campaign_name), s.row_number
