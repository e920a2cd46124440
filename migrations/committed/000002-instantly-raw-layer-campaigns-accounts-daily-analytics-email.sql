--! Previous: sha1:7c8eb65fcf6051b2756eceb303786ee347cd1a38
--! Hash: sha1:5fb674a465d680ee28bb3e1034d9721dc70575c0
--! Message: Instantly raw layer: campaigns, accounts, daily analytics, emails

-- Seed migration 002: the Instantly raw layer.
-- Each table keeps what Instantly API v2 sent, exactly as received, in raw_json
-- (jsonb), plus a few extracted columns for querying. Rows are upserted by
-- Instantly's own ids; normalisation never modifies them.
-- Types and codes follow Instantly's API v2 (see shared/reference/instantly-api-v2.md),
-- not the seed where the two disagree; each such decision is commented below.

create table instantly_campaigns_raw (
  instantly_campaign_id text primary key,
  campaign_name text,
  -- Instantly's campaign status codes: 0 draft, 1 active, 2 paused, 3 completed,
  -- 4 running subsequences, -1 accounts unhealthy, -2 bounce protect,
  -- -99 account suspended. (The seed's comment "2=active, -1=paused" is wrong.)
  campaign_status integer,
  leads_count integer,
  contacted_count integer,
  reply_count integer,
  emails_sent_count integer,
  raw_json jsonb not null,
  synced_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index instantly_campaigns_raw_campaign_name_idx on instantly_campaigns_raw (campaign_name);
create index instantly_campaigns_raw_campaign_status_idx on instantly_campaigns_raw (campaign_status);
create index instantly_campaigns_raw_synced_at_idx on instantly_campaigns_raw (synced_at desc);
create trigger _100_timestamps before insert or update on instantly_campaigns_raw
  for each row execute function tg__timestamps();
alter table instantly_campaigns_raw enable row level security;

comment on table instantly_campaigns_raw is E'Raw layer: one row per Instantly campaign, from GET /api/v2/campaigns and GET /api/v2/campaigns/analytics, kept as received. Never edited by hand or by normalisation.';
comment on column instantly_campaigns_raw.instantly_campaign_id is E'Instantly''s campaign id (UUID as text).';
comment on column instantly_campaigns_raw.campaign_name is E'Campaign name as Instantly has it (may carry trailing spaces).';
comment on column instantly_campaigns_raw.campaign_status is E'Instantly campaign status: 0 draft, 1 active, 2 paused, 3 completed, 4 running subsequences, -1 accounts unhealthy, -2 bounce protect, -99 account suspended.';
comment on column instantly_campaigns_raw.leads_count is E'Leads in the campaign (campaigns/analytics leads_count).';
comment on column instantly_campaigns_raw.contacted_count is E'Leads whose sequence started (contacted_count).';
comment on column instantly_campaigns_raw.reply_count is E'Replies, every reply counted (reply_count).';
comment on column instantly_campaigns_raw.emails_sent_count is E'Emails sent (emails_sent_count).';
comment on column instantly_campaigns_raw.raw_json is E'The API objects exactly as received (never modified).';
comment on column instantly_campaigns_raw.synced_at is E'When the sync last fetched this campaign.';
comment on column instantly_campaigns_raw.created_at is E'When leadgraph first stored this campaign.';
comment on column instantly_campaigns_raw.updated_at is E'When leadgraph last stored a new version of it.';

create table instantly_accounts_raw (
  -- Instantly identifies sending accounts by their email; there is no id.
  email text primary key,
  first_name text,
  last_name text,
  -- 1 active, 2 paused, 3 paused for maintenance, -1 connection error,
  -- -2 soft bounce error, -3 sending error.
  account_status integer,
  -- 0 paused, 1 active, -1 banned, -2 spam folder unknown, -3 permanent suspension.
  warmup_status integer,
  -- numeric, not integer: Instantly's stat_warmup_score is a number and can be fractional.
  warmup_score numeric,
  raw_json jsonb not null,
  synced_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index instantly_accounts_raw_account_status_idx on instantly_accounts_raw (account_status);
create index instantly_accounts_raw_warmup_score_idx on instantly_accounts_raw (warmup_score desc);
create trigger _100_timestamps before insert or update on instantly_accounts_raw
  for each row execute function tg__timestamps();
alter table instantly_accounts_raw enable row level security;

comment on table instantly_accounts_raw is E'Raw layer: one row per Instantly sending account (mailbox), from GET /api/v2/accounts, kept as received.';
comment on column instantly_accounts_raw.email is E'The sending mailbox; Instantly''s identifier for an account.';
comment on column instantly_accounts_raw.first_name is E'Sender first name.';
comment on column instantly_accounts_raw.last_name is E'Sender last name.';
comment on column instantly_accounts_raw.account_status is E'Instantly account status: 1 active, 2 paused, 3 paused for maintenance, -1 connection error, -2 soft bounce error, -3 sending error.';
comment on column instantly_accounts_raw.warmup_status is E'Instantly warmup status: 0 paused, 1 active, -1 banned, -2 spam folder unknown, -3 permanent suspension.';
comment on column instantly_accounts_raw.warmup_score is E'stat_warmup_score (0-100, may be fractional).';
comment on column instantly_accounts_raw.raw_json is E'The API object exactly as received (never modified).';
comment on column instantly_accounts_raw.synced_at is E'When the sync last fetched this account.';
comment on column instantly_accounts_raw.created_at is E'When leadgraph first stored this account.';
comment on column instantly_accounts_raw.updated_at is E'When leadgraph last stored a new version of it.';

create table instantly_daily_analytics_raw (
  id uuid primary key default gen_random_uuid(),
  analytics_date date not null,
  -- null = workspace totals (GET /campaigns/analytics/daily without campaign_id).
  instantly_campaign_id text,
  sent integer,
  opened integer,
  unique_opened integer,
  replies integer,
  unique_replies integer,
  clicks integer,
  unique_clicks integer,
  raw_json jsonb not null,
  synced_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  -- One row per day per campaign, and one per day for the workspace totals.
  -- The seed's unique index on analytics_date alone would allow only one
  -- campaign per day, and partial unique indexes cannot be targeted by a plain
  -- `insert ... on conflict (analytics_date, instantly_campaign_id)`;
  -- NULLS NOT DISTINCT makes the totals row (null campaign) unique per day too.
  constraint instantly_daily_analytics_raw_date_campaign_key
    unique nulls not distinct (analytics_date, instantly_campaign_id)
);
create index instantly_daily_analytics_raw_campaign_idx on instantly_daily_analytics_raw (instantly_campaign_id, analytics_date);
alter table instantly_daily_analytics_raw enable row level security;

comment on table instantly_daily_analytics_raw is E'Raw layer: daily campaign metrics from GET /api/v2/campaigns/analytics/daily, one row per campaign per day plus one row per day of workspace totals (instantly_campaign_id null). Days without activity are absent (Instantly sends sparse days).';
comment on column instantly_daily_analytics_raw.analytics_date is E'The day (UTC) the numbers are for.';
comment on column instantly_daily_analytics_raw.instantly_campaign_id is E'The campaign the row is for (taken from the request: Instantly''s rows carry no campaign id); null for workspace totals.';
comment on column instantly_daily_analytics_raw.sent is E'Emails sent that day.';
comment on column instantly_daily_analytics_raw.opened is E'Opens that day.';
comment on column instantly_daily_analytics_raw.unique_opened is E'Leads who opened that day.';
comment on column instantly_daily_analytics_raw.replies is E'Replies that day.';
comment on column instantly_daily_analytics_raw.unique_replies is E'Leads who replied that day.';
comment on column instantly_daily_analytics_raw.clicks is E'Link clicks that day.';
comment on column instantly_daily_analytics_raw.unique_clicks is E'Leads who clicked that day.';
comment on column instantly_daily_analytics_raw.raw_json is E'The API row exactly as received (never modified).';
comment on column instantly_daily_analytics_raw.synced_at is E'When the sync last fetched this day.';
comment on column instantly_daily_analytics_raw.created_at is E'When leadgraph first stored this day.';

create table instantly_emails_raw (
  id uuid primary key default gen_random_uuid(),
  instantly_email_id text not null unique,
  instantly_campaign_id text,
  email_address text,
  event_type text,
  event_date timestamptz,
  raw_json jsonb not null,
  synced_at timestamptz not null default now(),
  created_at timestamptz not null default now()
);
create index instantly_emails_raw_campaign_idx on instantly_emails_raw (instantly_campaign_id);
create index instantly_emails_raw_event_type_idx on instantly_emails_raw (event_type);
create index instantly_emails_raw_event_date_idx on instantly_emails_raw (event_date desc);
create index instantly_emails_raw_email_address_idx on instantly_emails_raw (email_address);
alter table instantly_emails_raw enable row level security;

comment on table instantly_emails_raw is E'Raw layer: one row per email (sent or received) from GET /api/v2/emails, kept as received.';
comment on column instantly_emails_raw.instantly_email_id is E'Instantly''s email id (a time-ordered UUIDv7).';
comment on column instantly_emails_raw.instantly_campaign_id is E'The campaign the email belongs to; null for manual emails.';
comment on column instantly_emails_raw.email_address is E'The lead''s email address (Instantly''s `lead` field), lower-case.';
comment on column instantly_emails_raw.event_type is E'What the email is, from ue_type and flags: email_sent, email_replied, auto_reply_received, manual_email_sent, email_scheduled.';
comment on column instantly_emails_raw.event_date is E'When it happened (timestamp_email, else timestamp_created).';
comment on column instantly_emails_raw.raw_json is E'The API object exactly as received (never modified).';
comment on column instantly_emails_raw.synced_at is E'When the sync fetched this email.';
comment on column instantly_emails_raw.created_at is E'When leadgraph first stored this email.';
