--! Previous: sha1:7cbd73c8eb4bcb2285e00c24184a8494cc8a9c33
--! Hash: sha1:b1971f94729557493df56ceea6bcb745e1530d76
--! Message: campaigns, with the example campaign

-- Seed migration 007: campaigns, our own (multi-channel) campaigns.
-- A campaign promotes one offer and may run email through Instantly, calls
-- through VAPI and LinkedIn outreach.

create table campaigns (
  id uuid primary key default gen_random_uuid(),
  campaign_name text not null check (btrim(campaign_name) <> ''),
  campaign_description text,
  campaign_type text not null default 'outbound' check (campaign_type in ('outbound', 'inbound', 'referral', 'event')),
  offer_id uuid references offers (id) on delete restrict,
  uses_email boolean not null default true,
  uses_calls boolean not null default false,
  uses_linkedin boolean not null default false,
  -- Not a foreign key: a campaign may name its Instantly campaign before the
  -- sync has stored it in instantly_campaigns_raw (and the raw layer is
  -- independent of the normalised one).
  instantly_campaign_id text unique,
  instantly_campaign_name text,
  vapi_campaign_id text unique,
  starts_at timestamptz,
  ends_at timestamptz,
  daily_send_limit integer check (daily_send_limit >= 0),
  timezone text not null default 'UTC',
  email_subject_template text,
  email_body_template text,
  call_script_template text,
  campaign_status text not null default 'draft' check (campaign_status in ('draft', 'active', 'paused', 'completed', 'archived')),
  created_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint campaigns_dates check (starts_at is null or ends_at is null or starts_at <= ends_at)
);
create index campaigns_offer_id_idx on campaigns (offer_id);
create index campaigns_created_by_idx on campaigns (created_by);
create index campaigns_campaign_name_idx on campaigns (campaign_name);
create index campaigns_campaign_status_idx on campaigns (campaign_status);
create index campaigns_dates_idx on campaigns (starts_at, ends_at);
create trigger _100_timestamps before insert or update on campaigns
  for each row execute function tg__timestamps();
alter table campaigns enable row level security;

comment on table campaigns is E'Our campaigns: what offer we promote to whom, on which channels (email via Instantly, calls via VAPI, LinkedIn).';
comment on column campaigns.campaign_name is E'Campaign name.';
comment on column campaigns.campaign_description is E'What the campaign is about.';
comment on column campaigns.campaign_type is E'outbound, inbound, referral or event.';
comment on column campaigns.offer_id is E'The offer the campaign promotes.';
comment on column campaigns.uses_email is E'Sends email (through Instantly).';
comment on column campaigns.uses_calls is E'Makes calls (through VAPI).';
comment on column campaigns.uses_linkedin is E'Does LinkedIn outreach.';
comment on column campaigns.instantly_campaign_id is E'The Instantly campaign that sends this campaign''s email (instantly_campaigns_raw.instantly_campaign_id); unique.';
comment on column campaigns.instantly_campaign_name is E'The Instantly campaign''s name.';
comment on column campaigns.vapi_campaign_id is E'The VAPI campaign that makes this campaign''s calls.';
comment on column campaigns.starts_at is E'When the campaign starts.';
comment on column campaigns.ends_at is E'When the campaign ends.';
comment on column campaigns.daily_send_limit is E'Most leads to contact per day.';
comment on column campaigns.timezone is E'IANA time zone the schedule is in.';
comment on column campaigns.email_subject_template is E'Email subject template with variables like {{first_name}}.';
comment on column campaigns.email_body_template is E'Email body template with variables like {{first_name}}, {{company_name}}.';
comment on column campaigns.call_script_template is E'Call script for VAPI.';
comment on column campaigns.campaign_status is E'Our status: draft, active, paused, completed, archived (Instantly''s numeric codes stay in instantly_campaigns_raw).';
comment on column campaigns.created_by is E'The user who created the campaign.';
comment on column campaigns.created_at is E'When the campaign was created.';
comment on column campaigns.updated_at is E'When the campaign last changed.';

-- The seed's example campaign, promoting the example offer.
insert into campaigns (id, campaign_name, campaign_description, campaign_type, offer_id, uses_email, uses_calls,
                       campaign_status, email_subject_template, email_body_template, created_by)
values (
  '00000000-0000-0000-0000-000000000007',
  'AI Automation Outreach (example)',
  'Cold outreach to SaaS companies for AI automation services',
  'outbound',
  '00000000-0000-0000-0000-000000000004',
  true, true, 'draft',
  'Automate {{pain_point}} at {{company_name}}',
  E'Hi {{first_name}},\n\nI noticed {{company_name}} is in {{industry}}; most companies in your space struggle with {{pain_point}}.\n\nWe have helped similar companies cut operational costs through AI automation.\n\nWould you be open to a 15-minute call next week?',
  '00000000-0000-0000-0000-000000000001'
)
on conflict do nothing;
