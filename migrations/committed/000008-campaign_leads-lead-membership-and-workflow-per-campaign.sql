--! Previous: sha1:b1971f94729557493df56ceea6bcb745e1530d76
--! Hash: sha1:e45890f64aafb7c2d0929db7da44ac5f5439e3fe
--! Message: campaign_leads: lead membership and workflow per campaign

-- Seed migration 008: campaign_leads, which leads are in which campaign and
-- where each stands in the email -> call -> LinkedIn workflow.

create table campaign_leads (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references campaigns (id) on delete cascade,
  lead_id uuid not null references leads (id) on delete cascade,
  email_status text not null default 'pending'
    check (email_status in ('pending', 'sent', 'opened', 'clicked', 'replied', 'bounced', 'unsubscribed', 'failed')),
  email_sent_at timestamptz,
  email_opened_at timestamptz,
  email_replied_at timestamptz,
  call_status text not null default 'not_scheduled'
    check (call_status in ('not_scheduled', 'scheduled', 'completed', 'no_answer', 'voicemail', 'wrong_number', 'do_not_call', 'failed')),
  call_scheduled_at timestamptz,
  call_completed_at timestamptz,
  call_duration_seconds integer check (call_duration_seconds >= 0),
  linkedin_status text not null default 'not_started'
    check (linkedin_status in ('not_started', 'connection_sent', 'connected', 'message_sent', 'replied')),
  overall_status text not null default 'active'
    check (overall_status in ('active', 'replied', 'interested', 'not_interested', 'meeting_booked', 'converted', 'disqualified', 'bounced', 'unsubscribed', 'completed')),
  engagement_score integer not null default 0 check (engagement_score between 0 and 100),
  last_activity_at timestamptz,
  -- 1-based step of the email sequence reached; null until the first email.
  sequence_step integer check (sequence_step >= 1),
  next_followup_at timestamptz,
  added_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- The seed's rule: a lead is in a campaign at most once.
  constraint campaign_leads_campaign_lead_key unique (campaign_id, lead_id)
);
create index campaign_leads_lead_id_idx on campaign_leads (lead_id);
create index campaign_leads_email_status_idx on campaign_leads (email_status);
create index campaign_leads_call_status_idx on campaign_leads (call_status);
create index campaign_leads_overall_status_idx on campaign_leads (overall_status);
create index campaign_leads_next_followup_idx on campaign_leads (next_followup_at)
  where next_followup_at is not null and overall_status = 'active';
create index campaign_leads_last_activity_idx on campaign_leads (last_activity_at desc);

-- Any workflow status change is activity.
create function tg_campaign_leads__last_activity() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if NEW.email_status is distinct from OLD.email_status
     or NEW.call_status is distinct from OLD.call_status
     or NEW.linkedin_status is distinct from OLD.linkedin_status then
    NEW.last_activity_at = now();
  end if;
  return NEW;
end;
$$;
comment on function tg_campaign_leads__last_activity() is E'Trigger function: sets last_activity_at when the email, call or LinkedIn status changes.';
create trigger _100_timestamps before insert or update on campaign_leads
  for each row execute function tg__timestamps();
create trigger _200_last_activity before update on campaign_leads
  for each row execute function tg_campaign_leads__last_activity();
alter table campaign_leads enable row level security;

comment on table campaign_leads is E'A lead''s membership of a campaign (many-to-many, each lead at most once per campaign) and its progress there: email, call and LinkedIn workflow.';
comment on column campaign_leads.campaign_id is E'The campaign.';
comment on column campaign_leads.lead_id is E'The lead.';
comment on column campaign_leads.email_status is E'Email workflow: pending (not sent yet), sent, opened, clicked, replied, bounced, unsubscribed, failed.';
comment on column campaign_leads.email_sent_at is E'When the first email was sent.';
comment on column campaign_leads.email_opened_at is E'When an email was first opened.';
comment on column campaign_leads.email_replied_at is E'When the lead first replied.';
comment on column campaign_leads.call_status is E'Call workflow: not_scheduled, scheduled, completed, no_answer, voicemail, wrong_number, do_not_call, failed.';
comment on column campaign_leads.call_scheduled_at is E'When a call is scheduled.';
comment on column campaign_leads.call_completed_at is E'When the call was completed.';
comment on column campaign_leads.call_duration_seconds is E'How long the call lasted.';
comment on column campaign_leads.linkedin_status is E'LinkedIn workflow: not_started, connection_sent, connected, message_sent, replied.';
comment on column campaign_leads.overall_status is E'Where the lead stands in this campaign: active, replied, interested, not_interested, meeting_booked, converted, disqualified, bounced, unsubscribed, completed.';
comment on column campaign_leads.engagement_score is E'0-100 from opens, clicks and replies.';
comment on column campaign_leads.last_activity_at is E'When a workflow status last changed.';
comment on column campaign_leads.sequence_step is E'The email sequence step reached (1 = first email, 2 = first follow-up, ...); null before the first email.';
comment on column campaign_leads.next_followup_at is E'When the next follow-up is due.';
comment on column campaign_leads.added_at is E'When the lead was added to the campaign.';
comment on column campaign_leads.created_at is E'When the row was created.';
comment on column campaign_leads.updated_at is E'When the row last changed.';
