--! Previous: sha1:095a36edb412b54f645668cca8065a621cfddb5e
--! Hash: sha1:7541841634523dc63fa9dd62d8a2bb17ab6f9b6d
--! Message: campaigns_email_activity_per_day: the dashboard chart's days as one row each (bench:graphql: grouped aggregates per day and type were most of the dashboard's Node time)

-- The campaign dashboard's chart read the events rollup through
-- groupedAggregates: one entry per day and event type (540 for 90 days of 6
-- types), each executed and shaped by PostGraphile in Node — most of the
-- dashboard operation's server time in bench:graphql (docs/benchmarks.md).
-- The chart draws one point per day with four email series; this returns
-- that shape, one row per day, so GraphQL shapes 90 rows of 5 fields instead.
-- Which event types each series counts is decided here (the web app had it).
drop function if exists campaigns_email_activity_per_day(campaigns, date, date);
drop type if exists campaign_email_day;

create type campaign_email_day as (
  event_date date,
  sent int,
  opened int,
  replied int,
  bounced int
);
comment on type campaign_email_day is E'A campaign''s email events on one day (UTC).';
comment on column campaign_email_day.event_date is E'The day (UTC).';
comment on column campaign_email_day.sent is E'Emails sent (email_sent events).';
comment on column campaign_email_day.opened is E'Opens (email_opened events).';
comment on column campaign_email_day.replied is E'Replies (email_replied events).';
comment on column campaign_email_day.bounced is E'Bounces (email_bounced events).';

-- Reads campaign_event_counts as the caller (security invoker, its RLS
-- policy applies); days without any email event are left out.
create function campaigns_email_activity_per_day(c campaigns, from_date date default null, to_date date default null)
returns setof campaign_email_day
language sql stable
as $$
  select n.event_date,
         coalesce(sum(n.event_count) filter (where n.event_type = 'email_sent'), 0)::int,
         coalesce(sum(n.event_count) filter (where n.event_type = 'email_opened'), 0)::int,
         coalesce(sum(n.event_count) filter (where n.event_type = 'email_replied'), 0)::int,
         coalesce(sum(n.event_count) filter (where n.event_type = 'email_bounced'), 0)::int
  from campaign_event_counts n
  where n.campaign_id = c.id
    and n.event_type in ('email_sent', 'email_opened', 'email_replied', 'email_bounced')
    and (from_date is null or n.event_date >= from_date)
    and (to_date is null or n.event_date <= to_date)
  group by n.event_date
  order by n.event_date
$$;
comment on function campaigns_email_activity_per_day(campaigns, date, date) is
  E'@behavior -connection +list -filter\n@listSuffix omit\nThe campaign''s emails sent, opened, replied to and bounced per day (UTC), oldest first, from from_date to to_date (inclusive; null: no bound). Days without email events are left out.';
grant execute on function campaigns_email_activity_per_day(campaigns, date, date) to leadgraph_visitor;
