-- Every source (leads, emails, webhooks) is first staged in this one shape;
-- the steps after it (campaigns, companies, leads, memberships, events,
-- workflow) are shared. No copy of the raw JSON here: every update of staged
-- rewrites its rows, so they stay narrow; the raw tables are joined where
-- it is needed.
create temp table staged (
  source text not null,              -- lead | email | webhook (one source per batch)
  source_id text not null,
  lead_email text,                   -- leadgraph_rules.normalize_email
  first_name text,
  last_name text,
  company_name text,
  website text,
  phone text,
  job_title text,
  linkedin_url text,
  instantly_campaign_id text,
  campaign_name text,
  event_type text,                   -- null for leads
  event_timestamp timestamptz,
  email_subject text,
  email_body text,                   -- text, or HTML while body_is_html
  body_is_html boolean not null default false,
  email_quoted_text text,
  email_from text,
  email_to text,
  instantly_email_id text,           -- set for events that are one email
  reject_reason text,
  domain text,                       -- the company's, where it can matter
  campaign_id uuid,
  lead_id uuid,
  lead_company_id uuid,              -- a known lead's company before this batch
  lead_at_stand_in boolean not null default false,  -- that company is named after its domain
  campaign_lead_id uuid
) on commit drop
