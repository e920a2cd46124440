--! Previous: sha1:a202749be842dd36cbbfa122359f9df5d0280e82
--! Hash: sha1:511bedcda40ae1bcbed3272b4110220d8155a993
--! Message: GraphQL helpers: campaign funnel, relation names for CSV imports

-- A campaign's email funnel, for dashboards: how many of its leads were
-- contacted, opened, clicked, replied, bounced or unsubscribed, and the rates.
-- Computed from campaign_leads, whose workflow statuses never move backwards.

create type campaign_funnel as (
  leads integer,
  contacted integer,
  opened integer,
  replied integer,
  bounced integer,
  unsubscribed integer,
  open_rate numeric,
  reply_rate numeric,
  bounce_rate numeric
);
comment on type campaign_funnel is E'A campaign''s email funnel over its leads.';
comment on column campaign_funnel.leads is E'Leads in the campaign.';
comment on column campaign_funnel.contacted is E'Leads sent at least one email.';
comment on column campaign_funnel.opened is E'Leads who opened (or clicked, or replied).';
comment on column campaign_funnel.replied is E'Leads who replied.';
comment on column campaign_funnel.bounced is E'Leads whose email bounced.';
comment on column campaign_funnel.unsubscribed is E'Leads who unsubscribed.';
comment on column campaign_funnel.open_rate is E'opened / contacted (0-1), null before the first email.';
comment on column campaign_funnel.reply_rate is E'replied / contacted (0-1), null before the first email.';
comment on column campaign_funnel.bounce_rate is E'bounced / contacted (0-1), null before the first email.';

create function campaigns_funnel(c campaigns) returns campaign_funnel
  language sql stable
as $$
  select f.leads, f.contacted, f.opened, f.replied, f.bounced, f.unsubscribed,
         round(f.opened::numeric / nullif(f.contacted, 0), 4),
         round(f.replied::numeric / nullif(f.contacted, 0), 4),
         round(f.bounced::numeric / nullif(f.contacted, 0), 4)
  from (
    select
      count(*)::int as leads,
      count(*) filter (where cl.email_status not in ('pending', 'failed') or cl.email_sent_at is not null)::int as contacted,
      count(*) filter (where cl.email_status in ('opened', 'clicked', 'replied') or cl.email_opened_at is not null)::int as opened,
      count(*) filter (where cl.email_status = 'replied' or cl.email_replied_at is not null)::int as replied,
      count(*) filter (where cl.email_status = 'bounced')::int as bounced,
      count(*) filter (where cl.email_status = 'unsubscribed')::int as unsubscribed
    from campaign_leads cl
    where cl.campaign_id = c.id
  ) f
$$;
comment on function campaigns_funnel(campaigns) is E'The campaign''s email funnel: leads contacted, opened, replied, bounced, unsubscribed, and the open/reply/bounce rates.';
grant execute on function campaigns_funnel(campaigns) to leadgraph_visitor;

-- Relation names in GraphQL where the column does not say the table's name
-- (the defaults would be `csvImportRowsByCsvImportId` and the like).
comment on constraint csv_import_rows_csv_import_id_fkey on csv_import_rows is E'@foreignFieldName rows';
comment on constraint leads_csv_import_id_fkey on leads is E'@foreignFieldName leads';
comment on constraint companies_first_seen_in_csv_id_fkey on companies is E'@foreignFieldName companiesFirstSeen';
comment on constraint companies_last_seen_in_csv_id_fkey on companies is E'@foreignFieldName companiesLastSeen';

-- searchEvents(query: String!): a search needs its words.
alter function search_events(text) strict;
