-- Instantly campaigns -> our campaigns, linked by instantly_campaign_id. Our
-- name stays ours once the campaign exists; Instantly's name, status and
-- settings follow Instantly. Its own transaction, before the other sources.
-- (The claim is this statement's own delete, not claim_instantly_pending():
-- a volatile function's statement takes a later snapshot than this one, so it
-- could take a queued row committed after this statement began, whose raw row
-- the join here cannot see yet: the row gone from the queue, never normalised.
-- bench/soak.ts found webhooks lost so. Same snapshot, same rows.)
with claimed as (
  delete from leadgraph_private.instantly_pending p
  where p.resource = 'campaign' and p.source_id in (
    select q.source_id from leadgraph_private.instantly_pending q
    where q.resource = 'campaign' order by q.source_id limit :batch_size for update skip locked)
  returning p.source_id
),
src as (
  select r.instantly_campaign_id,
         r.campaign_name,
         r.campaign_status,
         coalesce(r.raw_json -> 'campaign', '{}'::jsonb) as c
  from claimed join instantly_campaigns_raw r on r.instantly_campaign_id = claimed.source_id
),
upserted as (
insert into campaigns (campaign_name, instantly_campaign_id, instantly_campaign_name, uses_email, campaign_status,
                       daily_send_limit, timezone, starts_at, email_subject_template, email_body_template)
select coalesce(nullif(btrim(src.campaign_name), ''), 'Instantly campaign ' || src.instantly_campaign_id),
       src.instantly_campaign_id, src.campaign_name, true,
       case src.campaign_status when 0 then 'draft' when 1 then 'active' when 4 then 'active'
                                when 3 then 'completed' else 'paused' end,
       case when jsonb_typeof(src.c -> 'daily_limit') = 'number' and (src.c ->> 'daily_limit')::numeric between 0 and 2147483647
            then (src.c ->> 'daily_limit')::numeric::integer end,
       coalesce(src.c #>> '{campaign_schedule,schedules,0,timezone}', 'UTC'),
       case when src.c #>> '{campaign_schedule,start_date}' ~ '^\d{4}-\d{2}-\d{2}$'
            then (src.c #>> '{campaign_schedule,start_date}')::date::timestamptz end,
       src.c #>> '{sequences,0,steps,0,variants,0,subject}',
       src.c #>> '{sequences,0,steps,0,variants,0,body}'
from src
on conflict (instantly_campaign_id) do update set
  -- A campaign first met in an email or a webhook got a stand-in name.
  campaign_name = case when campaigns.campaign_name = 'Instantly campaign ' || campaigns.instantly_campaign_id
                       then excluded.campaign_name else campaigns.campaign_name end,
  instantly_campaign_name = excluded.instantly_campaign_name,
  campaign_status = excluded.campaign_status,
  uses_email = true,
  daily_send_limit = coalesce(excluded.daily_send_limit, campaigns.daily_send_limit),
  timezone = excluded.timezone,
  starts_at = coalesce(campaigns.starts_at, excluded.starts_at),
  email_subject_template = coalesce(campaigns.email_subject_template, excluded.email_subject_template),
  email_body_template = coalesce(campaigns.email_body_template, excluded.email_body_template)
-- Only when something changed (the raw row changes with every sync's counters).
where (campaigns.campaign_name = 'Instantly campaign ' || campaigns.instantly_campaign_id and excluded.campaign_name <> campaigns.campaign_name)
   or (campaigns.instantly_campaign_name, campaigns.campaign_status, campaigns.uses_email, campaigns.timezone)
      is distinct from (excluded.instantly_campaign_name, excluded.campaign_status, true, excluded.timezone)
   or (excluded.daily_send_limit is not null and excluded.daily_send_limit is distinct from campaigns.daily_send_limit)
   or (campaigns.starts_at is null and excluded.starts_at is not null)
   or (campaigns.email_subject_template is null and excluded.email_subject_template is not null)
   or (campaigns.email_body_template is null and excluded.email_body_template is not null)
returning 1
)
select (select count(*) from claimed)::int as claimed, (select count(*) from upserted)::int as written
