--! Previous: sha1:7541841634523dc63fa9dd62d8a2bb17ab6f9b6d
--! Hash: sha1:48ebab1977f6560f00a2c91a076e1de53ee28ec0
--! Message: campaigns_leads_by_overall_status: the dashboard's leads by workflow status by count(*), not count(distinct id) (bench:web: 81% of the dashboard page's database time)

-- The campaign dashboard counted its leads by workflow status with
-- groupedAggregates' distinctCount(rowId): count(distinct id) sorts every
-- membership (bench:web: 388 ms a request, 81% of the dashboard page's
-- database time, for a campaign of 100k leads; a plain count(*) by status
-- takes a quarter of that). campaign_lead_counts has no overall_status,
-- so this counts campaign_leads, as the caller (security invoker, RLS applies).
drop function if exists campaigns_leads_by_overall_status(campaigns);
drop type if exists campaign_status_count;

create type campaign_status_count as (
  overall_status text,
  lead_count int
);
comment on type campaign_status_count is E'How many of a campaign''s leads have one workflow status.';
comment on column campaign_status_count.overall_status is E'The workflow status (campaign_leads.overall_status).';
comment on column campaign_status_count.lead_count is E'Leads of the campaign with that status.';

create function campaigns_leads_by_overall_status(c campaigns)
returns setof campaign_status_count
language sql stable
as $$
  select cl.overall_status, count(*)::int
  from campaign_leads cl
  where cl.campaign_id = c.id
  group by cl.overall_status
  order by count(*) desc, cl.overall_status
$$;
comment on function campaigns_leads_by_overall_status(campaigns) is
  E'@behavior -connection +list -filter\n@listSuffix omit\nThe campaign''s leads counted by workflow status, most first; statuses no lead has are left out.';
grant execute on function campaigns_leads_by_overall_status(campaigns) to leadgraph_visitor;
