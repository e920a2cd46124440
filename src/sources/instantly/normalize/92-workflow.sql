-- campaign_leads' email workflow, recomputed from every Instantly event of the
-- memberships in touched (91-stale-memberships.sql: once per drain, not per
-- batch: it reads all their events) and the lead's Instantly status, never
-- moving backwards (leadgraph_rules.email_status_rank: pending < sent < opened
-- < clicked < replied | bounced < unsubscribed; replied wins a tie).
-- overall_status: the latest interest signal (i_status, lead_* events,
-- lt_interest_status) wins among the interest statuses; else replied /
-- bounced / unsubscribed / completed; a status never drops to a lower tier.
with ev as (
  select t.campaign_id, t.lead_id,
         (array_agg(x.email_status order by leadgraph_rules.email_status_rank(x.email_status) desc, x.email_status = 'replied' desc)
            filter (where x.email_status is not null))[1] as email_status,
         bool_or(e.event_type = 'email_replied') as replied,
         bool_or(e.event_type = 'email_bounced') as bounced,
         bool_or(e.event_type = 'lead_unsubscribed') as unsubscribed,
         bool_or(e.event_type = 'campaign_completed') as completed,
         min(e.event_timestamp) filter (where x.email_status = 'sent') as sent_at,
         max(e.event_timestamp) filter (where x.email_status = 'sent') as last_sent_at,
         min(e.event_timestamp) filter (where x.email_status = 'opened') as opened_at,
         min(e.event_timestamp) filter (where x.email_status = 'replied') as replied_at,
         max(e.event_timestamp) as last_at,
         max(leadgraph_private.instantly_step_number(e.raw_data ->> 'step')) filter (where x.email_status = 'sent') as step,
         (array_agg(x.interest order by e.event_timestamp desc) filter (where x.interest is not null))[1] as interest,
         max(e.event_timestamp) filter (where x.interest is not null) as interest_at
  from touched t
  join events e on e.lead_id = t.lead_id and e.campaign_id = t.campaign_id and e.event_source = 'instantly'
  cross join lateral (
    select leadgraph_rules.email_status_of_event(e.event_type) as email_status,
           leadgraph_private.instantly_interest_status(coalesce(e.raw_data ->> 'i_status', e.event_type)) as interest
  ) x
  group by t.campaign_id, t.lead_id
),
li as (
  -- What Instantly says of the lead in this campaign (POST /leads/list):
  -- status -1 bounced, -2 unsubscribed, 3 completed; lt_interest_status.
  select distinct on (t.campaign_id, t.lead_id) t.campaign_id, t.lead_id,
         r.raw_json ->> 'status' as lead_status,
         leadgraph_private.instantly_interest_status(r.raw_json ->> 'lt_interest_status') as interest,
         leadgraph_private.instantly_timestamp(r.raw_json ->> 'timestamp_last_interest_change') as interest_at
  from touched t
  join leads l on l.id = t.lead_id
  join campaigns c on c.id = t.campaign_id
  join instantly_leads_raw r on r.email = l.email and r.instantly_campaign_id = c.instantly_campaign_id
  order by t.campaign_id, t.lead_id, r.updated_at desc
),
computed as (
  select t.campaign_id, t.lead_id, s.email_status,
         coalesce(ev.replied, false) as replied,
         coalesce(ev.unsubscribed, false) or li.lead_status = '-2' as unsubscribed,
         coalesce(ev.bounced, false) or li.lead_status = '-1' as bounced,
         coalesce(ev.completed, false) or li.lead_status = '3' as completed,
         ev.sent_at, ev.last_sent_at, ev.opened_at, ev.replied_at, ev.last_at, ev.step,
         case when li.interest is not null and (ev.interest is null or li.interest_at > ev.interest_at) then li.interest
              else ev.interest end as interest
  from touched t left join ev using (campaign_id, lead_id) left join li using (campaign_id, lead_id)
  cross join lateral (select case li.lead_status when '-1' then 'bounced' when '-2' then 'unsubscribed' end as status) ls
  -- The lead status counts only where it is further than the events.
  cross join lateral (
    select case when leadgraph_rules.email_status_rank(ls.status) > leadgraph_rules.email_status_rank(ev.email_status)
                then ls.status else ev.email_status end as email_status
  ) s
),
target as (
  select c.*,
         coalesce(c.interest,
                  case when c.unsubscribed then 'unsubscribed' when c.bounced then 'bounced'
                       when c.replied then 'replied' when c.completed then 'completed' end) as overall_status
  from computed c
),
rank as (
  select t.*, cl.id,
         case cl.overall_status when 'active' then 0 when 'completed' then 1 when 'replied' then 2 when 'bounced' then 2
                                when 'unsubscribed' then 2 else 3 end as current_tier,
         case t.overall_status when 'completed' then 1 when 'replied' then 2 when 'bounced' then 2
                               when 'unsubscribed' then 2 else 3 end as target_tier,
         cl.email_status as current_email_status, cl.overall_status as current_overall_status,
         cl.sequence_step as current_step
  from target t join campaign_leads cl on cl.campaign_id = t.campaign_id and cl.lead_id = t.lead_id
),
next as (
  select r.*,
         case when leadgraph_rules.email_status_rank(r.email_status) > leadgraph_rules.email_status_rank(r.current_email_status)
              then r.email_status else r.current_email_status end as new_email_status,
         case when r.overall_status is not null and r.target_tier >= r.current_tier then r.overall_status
              else r.current_overall_status end as new_overall_status,
         greatest(r.current_step, r.step) as new_step
  from rank r
),
-- Each touched campaign's steps, read once (not once per membership: the raw
-- campaign with its sequence HTML is large).
steps as materialized (
  select c.id as campaign_id, r.raw_json #> '{campaign,sequences,0,steps}' as steps
  from campaigns c join instantly_campaigns_raw r on r.instantly_campaign_id = c.instantly_campaign_id
  where c.id in (select campaign_id from touched) and jsonb_typeof(r.raw_json #> '{campaign,sequences,0,steps}') = 'array'
),
planned as (
  select n.*,
         -- The next step is due `delay` after the last email sent (Instantly's
         -- step delay is the wait before the following step; days unless
         -- delay_unit says otherwise), while the lead is in sequence and a step is left.
         case when n.new_overall_status = 'active' and n.new_email_status in ('sent', 'opened', 'clicked') and n.new_step is not null then
           (select n.last_sent_at + case coalesce(st ->> 'delay_unit', 'days')
                                      when 'minutes' then make_interval(mins => (st ->> 'delay')::numeric::integer)
                                      when 'hours' then make_interval(hours => (st ->> 'delay')::numeric::integer)
                                      else make_interval(days => (st ->> 'delay')::numeric::integer) end
            from steps cross join lateral (select steps.steps -> (n.new_step - 1) as st) step
            where steps.campaign_id = n.campaign_id
              and jsonb_typeof(steps.steps -> n.new_step) = 'object'
              and jsonb_typeof(st -> 'delay') = 'number' and (st ->> 'delay')::numeric between 0 and 10000)
         end as new_followup
  from next n
)
update campaign_leads cl set
  email_status = p.new_email_status,
  overall_status = p.new_overall_status,
  email_sent_at = least(cl.email_sent_at, p.sent_at),
  email_opened_at = least(cl.email_opened_at, p.opened_at),
  email_replied_at = least(cl.email_replied_at, p.replied_at),
  sequence_step = p.new_step,
  last_activity_at = greatest(cl.last_activity_at, p.last_at),
  next_followup_at = p.new_followup
from planned p
where cl.id = p.id
  and (cl.email_status, cl.overall_status, cl.email_sent_at, cl.email_opened_at, cl.email_replied_at, cl.sequence_step,
       cl.last_activity_at, cl.next_followup_at) is distinct from
      (p.new_email_status, p.new_overall_status, least(cl.email_sent_at, p.sent_at), least(cl.email_opened_at, p.opened_at),
       least(cl.email_replied_at, p.replied_at), p.new_step, greatest(cl.last_activity_at, p.last_at), p.new_followup)
