--! Previous: sha1:511bedcda40ae1bcbed3272b4110220d8155a993
--! Hash: sha1:bfe239b1f1a3bdbf2c21ffe03fdd4690a344eb5f
--! Message: dashboard rollups: campaign_event_counts and campaign_lead_counts kept by statement triggers

-- Dashboard rollups. A campaign dashboard over 100k events and 30k leads
-- cannot aggregate them on every request (~1 s of CPU each, measured with
-- bench:graphql). Two small tables, kept current by statement-level triggers
-- (one set-based statement per insert/update/delete statement, whatever its
-- size), hold the counts dashboards read.

create table campaign_event_counts (
  campaign_id uuid not null references campaigns (id) on delete cascade,
  event_date date not null,
  event_source text not null,
  event_type text not null,
  event_count bigint not null check (event_count >= 0),
  primary key (campaign_id, event_date, event_source, event_type)
);
create index campaign_event_counts_event_date_idx on campaign_event_counts (event_date);
create index campaign_event_counts_event_type_idx on campaign_event_counts (event_type);
alter table campaign_event_counts enable row level security;
comment on table campaign_event_counts is E'@behavior -insert -update -delete\nEvents per campaign per day (UTC) by source and type, kept current from events by triggers: what dashboards read instead of counting events.';
comment on column campaign_event_counts.campaign_id is E'The campaign.';
comment on column campaign_event_counts.event_date is E'The day (UTC).';
comment on column campaign_event_counts.event_source is E'instantly, vapi, linkedin, manual or system.';
comment on column campaign_event_counts.event_type is E'email_sent, email_opened, email_replied, ...';
comment on column campaign_event_counts.event_count is E'How many such events the campaign had that day.';

create table campaign_lead_counts (
  campaign_id uuid not null references campaigns (id) on delete cascade,
  email_status text not null,
  -- 0 = no email sent yet (campaign_leads.sequence_step is null).
  sequence_step integer not null,
  lead_count bigint not null check (lead_count >= 0),
  primary key (campaign_id, email_status, sequence_step)
);
create index campaign_lead_counts_email_status_idx on campaign_lead_counts (email_status);
create index campaign_lead_counts_sequence_step_idx on campaign_lead_counts (sequence_step);
alter table campaign_lead_counts enable row level security;
comment on table campaign_lead_counts is E'@behavior -insert -update -delete\nLeads per campaign by email status and sequence step, kept current from campaign_leads by triggers.';
comment on column campaign_lead_counts.campaign_id is E'The campaign.';
comment on column campaign_lead_counts.email_status is E'pending, sent, opened, clicked, replied, bounced, unsubscribed or failed.';
comment on column campaign_lead_counts.sequence_step is E'The sequence step reached (0 = no email sent yet).';
comment on column campaign_lead_counts.lead_count is E'How many of the campaign''s leads are there.';

-- events -> campaign_event_counts
create function tg_events__count() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if TG_OP in ('DELETE', 'UPDATE') then
    update campaign_event_counts c set event_count = c.event_count - d.n
    from (
      select campaign_id, (event_timestamp at time zone 'UTC')::date as day, event_source, event_type, count(*) as n
      from old_rows where campaign_id is not null group by 1, 2, 3, 4
    ) d
    where c.campaign_id = d.campaign_id and c.event_date = d.day and c.event_source = d.event_source and c.event_type = d.event_type;
  end if;
  if TG_OP in ('INSERT', 'UPDATE') then
    insert into campaign_event_counts (campaign_id, event_date, event_source, event_type, event_count)
    select campaign_id, (event_timestamp at time zone 'UTC')::date, event_source, event_type, count(*)
    from new_rows where campaign_id is not null
    group by 1, 2, 3, 4 order by 1, 2, 3, 4
    on conflict (campaign_id, event_date, event_source, event_type)
      do update set event_count = campaign_event_counts.event_count + excluded.event_count;
  end if;
  return null;
end;
$$;
comment on function tg_events__count() is E'Trigger function: keeps campaign_event_counts equal to the events it counts.';
create trigger _500_count_insert after insert on events referencing new table as new_rows
  for each statement execute function tg_events__count();
create trigger _500_count_update after update on events referencing old table as old_rows new table as new_rows
  for each statement execute function tg_events__count();
create trigger _500_count_delete after delete on events referencing old table as old_rows
  for each statement execute function tg_events__count();

-- campaign_leads -> campaign_lead_counts
create function tg_campaign_leads__count() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if TG_OP in ('DELETE', 'UPDATE') then
    update campaign_lead_counts c set lead_count = c.lead_count - d.n
    from (
      select campaign_id, email_status, coalesce(sequence_step, 0) as step, count(*) as n
      from old_rows group by 1, 2, 3
    ) d
    where c.campaign_id = d.campaign_id and c.email_status = d.email_status and c.sequence_step = d.step;
  end if;
  if TG_OP in ('INSERT', 'UPDATE') then
    insert into campaign_lead_counts (campaign_id, email_status, sequence_step, lead_count)
    select campaign_id, email_status, coalesce(sequence_step, 0), count(*)
    from new_rows group by 1, 2, 3 order by 1, 2, 3
    on conflict (campaign_id, email_status, sequence_step)
      do update set lead_count = campaign_lead_counts.lead_count + excluded.lead_count;
  end if;
  return null;
end;
$$;
comment on function tg_campaign_leads__count() is E'Trigger function: keeps campaign_lead_counts equal to the campaign_leads it counts.';
create trigger _500_count_insert after insert on campaign_leads referencing new table as new_rows
  for each statement execute function tg_campaign_leads__count();
create trigger _500_count_update after update on campaign_leads referencing old table as old_rows new table as new_rows
  for each statement execute function tg_campaign_leads__count();
create trigger _500_count_delete after delete on campaign_leads referencing old table as old_rows
  for each statement execute function tg_campaign_leads__count();

-- What is already there.
insert into campaign_event_counts (campaign_id, event_date, event_source, event_type, event_count)
select campaign_id, (event_timestamp at time zone 'UTC')::date, event_source, event_type, count(*)
from events where campaign_id is not null group by 1, 2, 3, 4;
insert into campaign_lead_counts (campaign_id, email_status, sequence_step, lead_count)
select campaign_id, email_status, coalesce(sequence_step, 0), count(*) from campaign_leads group by 1, 2, 3;

-- Readers: everyone (like the tables they count).
grant select on campaign_event_counts, campaign_lead_counts to leadgraph_visitor;
create policy select_all on campaign_event_counts for select using (true);
create policy select_all on campaign_lead_counts for select using (true);

-- Stats and the funnel now read the rollups: milliseconds whatever the
-- campaign's size.
create or replace function get_campaign_event_stats(campaign_id uuid)
returns table (
  event_source text,
  event_type text,
  event_count bigint
)
language sql stable strict
as $$
  select c.event_source, c.event_type, sum(c.event_count)::bigint
  from campaign_event_counts c
  where c.campaign_id = get_campaign_event_stats.campaign_id
  group by c.event_source, c.event_type
  having sum(c.event_count) > 0
  order by sum(c.event_count) desc, c.event_source, c.event_type
$$;

-- The funnel now counts leads by their current email status (pending ->
-- sent -> opened -> clicked -> replied, or bounced / unsubscribed / failed):
-- a replied lead counts as contacted and opened; a lead that replied and later
-- unsubscribed counts as unsubscribed only. (Before, the email_*_at
-- timestamps counted too.)
create or replace function campaigns_funnel(c campaigns) returns campaign_funnel
  language sql stable
as $$
  select f.leads, f.contacted, f.opened, f.replied, f.bounced, f.unsubscribed,
         round(f.opened::numeric / nullif(f.contacted, 0), 4),
         round(f.replied::numeric / nullif(f.contacted, 0), 4),
         round(f.bounced::numeric / nullif(f.contacted, 0), 4)
  from (
    select
      coalesce(sum(n.lead_count), 0)::int as leads,
      coalesce(sum(n.lead_count) filter (where n.email_status not in ('pending', 'failed')), 0)::int as contacted,
      coalesce(sum(n.lead_count) filter (where n.email_status in ('opened', 'clicked', 'replied')), 0)::int as opened,
      coalesce(sum(n.lead_count) filter (where n.email_status = 'replied'), 0)::int as replied,
      coalesce(sum(n.lead_count) filter (where n.email_status = 'bounced'), 0)::int as bounced,
      coalesce(sum(n.lead_count) filter (where n.email_status = 'unsubscribed'), 0)::int as unsubscribed
    from campaign_lead_counts n
    where n.campaign_id = c.id
  ) f
$$;
