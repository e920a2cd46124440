create temp table touched (
  campaign_id uuid not null,
  lead_id uuid not null
) on commit drop
