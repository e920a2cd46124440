-- Each touch's campaign: the import's, else the oldest campaign with the row's campaign name.
update staged s set campaign_id = coalesce(:campaign_id::uuid, (
  select c.id from campaigns c
  where s.campaign_name is not null and leadgraph_rules.fold_case(c.campaign_name) = leadgraph_rules.fold_case(s.campaign_name)
  order by c.created_at, c.id limit 1))
where s.reject_reason is null
