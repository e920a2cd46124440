// Normalising Instantly's raw layer: the rows waiting in leadgraph_private.instantly_pending ->
// campaigns, companies, leads, campaign_leads and one event per email or
// webhook event. Set-based SQL, one transaction per batch; a claimed pending
// row is deleted in the transaction that writes its results, so a killed job
// leaves it queued and the retry does the same work again (every write is an
// upsert or a recomputation).
//
// Order per run: campaigns, then leads (names and companies for the people
// emails go to), then emails, then webhook events (so a webhook finds the
// event of an email the sync already stored, and the other way round).
import type { PoolClient } from "pg";
import { inTransaction } from "../../database/transaction.ts";
import { FREE_MAIL_DOMAINS } from "../csv/columns.ts";

// Larger batches amortise the per-statement work (measured with bench:sync: 5,000 -> 20,000 rows took 100k emails from 108 s to 65 s end-to-end).
export const DEFAULT_BATCH_SIZE = 20_000;
/** The event keeps this much of a body (the whole one stays in raw_data): full-text search refuses tsvectors over 1 MB. */
const MAX_BODY_CHARS = 100_000;

export interface NormalizeCounts {
  campaigns: number;
  leads: number;
  emails: number;
  webhooks: number;
  rejected: number;
}

const DOMAIN_PATTERN = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$";
const EMAIL_PATTERN = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$";
const TIMESTAMP_PATTERN = "^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?$";

/** Claims up to $1 pending rows of one resource (locked rows are another normaliser's). */
function claim(resource: string): string {
  return `delete from leadgraph_private.instantly_pending p
    where p.resource = '${resource}' and p.source_id in (
      select source_id from leadgraph_private.instantly_pending where resource = '${resource}'
      order by source_id limit $1 for update skip locked)
    returning p.source_id`;
}

const ts = (expr: string) => `case when ${expr} ~ '${TIMESTAMP_PATTERN}' then (${expr})::timestamptz end`;

// Instantly campaigns -> our campaigns, linked by instantly_campaign_id. Our
// name stays ours once the campaign exists; Instantly's name, status and
// settings follow Instantly.
const CAMPAIGNS_SQL = `
with claimed as (${claim("campaign")}),
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
       case when src.c #>> '{campaign_schedule,start_date}' ~ '^\\d{4}-\\d{2}-\\d{2}$'
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
select (select count(*) from claimed)::int as claimed, (select count(*) from upserted)::int as written`;

/**
 * Every source (leads, emails, webhooks) is first staged in this one shape;
 * the steps after it (campaigns, companies, leads, memberships, events,
 * workflow) are shared.
 */
const CREATE_STAGED_SQL = `
create temp table staged (
  -- No copy of the raw JSON here: every update of staged rewrites its rows,
  -- so they stay narrow; the raw tables are joined where it is needed.
  source text not null,              -- lead | email | webhook
  source_id text not null,
  lead_email text,
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
  email_body text,
  email_from text,
  email_to text,
  instantly_email_id text,           -- set for events that are one email
  reject_reason text,
  domain text,
  campaign_id uuid,
  lead_id uuid,
  campaign_lead_id uuid
) on commit drop`;

const STAGE_LEADS_SQL = `
with claimed as (${claim("lead")})
insert into staged (source, source_id, lead_email, first_name, last_name, company_name, website, phone, job_title,
                    linkedin_url, instantly_campaign_id, reject_reason)
select 'lead', r.instantly_lead_id, lower(btrim(r.raw_json ->> 'email')),
       nullif(btrim(coalesce(r.raw_json ->> 'first_name', r.raw_json #>> '{payload,firstName}')), ''),
       nullif(btrim(coalesce(r.raw_json ->> 'last_name', r.raw_json #>> '{payload,lastName}')), ''),
       nullif(btrim(coalesce(r.raw_json ->> 'company_name', r.raw_json #>> '{payload,companyName}')), ''),
       nullif(btrim(coalesce(r.raw_json ->> 'website', r.raw_json ->> 'company_domain')), ''),
       nullif(btrim(r.raw_json ->> 'phone'), ''),
       nullif(btrim(coalesce(r.raw_json ->> 'job_title', r.raw_json #>> '{payload,jobTitle}')), ''),
       nullif(btrim(coalesce(r.raw_json #>> '{payload,linkedIn}', r.raw_json #>> '{payload,linkedin}')), ''),
       nullif(r.raw_json ->> 'campaign', ''),
       -- Emails and webhooks find people by address: a lead without a usable
       -- one could only become an email-less duplicate (or break the batch).
       case when coalesce(lower(btrim(r.raw_json ->> 'email')), '') !~ '${EMAIL_PATTERN}' then 'no valid email address' end
from claimed join instantly_leads_raw r on r.instantly_lead_id = claimed.source_id`;

// One email -> one event. Its type from ue_type (1 campaign send, 2 received,
// 3 manual send from the Unibox, 4 scheduled) and is_auto_reply; the lead is
// Instantly's `lead` field, else the other party of the email.
const STAGE_EMAILS_SQL = `
with claimed as (${claim("email")}),
r as (
  select e.instantly_email_id, e.raw_json as j,
         case when jsonb_typeof(e.raw_json -> 'ue_type') = 'number' then (e.raw_json ->> 'ue_type')::numeric end as ue_type
  from claimed join instantly_emails_raw e on e.instantly_email_id = claimed.source_id
),
t as (
  select r.*,
         case
           when r.ue_type = 2 then 'received'
           when r.ue_type in (1, 3, 4) then 'sent'
           when lower(btrim(r.j ->> 'from_address_email')) = lower(btrim(r.j ->> 'lead')) then 'received'
           else 'sent'
         end as direction
  from r
)
insert into staged (source, source_id, lead_email, first_name, last_name, instantly_campaign_id, event_type, event_timestamp,
                    email_subject, email_body, email_from, email_to, instantly_email_id, reject_reason)
select 'email', t.instantly_email_id, x.lead_email,
       case when t.direction = 'received' then nullif(split_part(btrim(t.j #>> '{from_address_json,0,name}'), ' ', 1), '') end,
       case when t.direction = 'received' then nullif(btrim(substr(btrim(t.j #>> '{from_address_json,0,name}'),
            length(split_part(btrim(t.j #>> '{from_address_json,0,name}'), ' ', 1)) + 1)), '') end,
       nullif(t.j ->> 'campaign_id', ''),
       case
         when t.ue_type = 3 then 'manual_email_sent'
         when t.direction = 'received' and t.j ->> 'is_auto_reply' in ('1', 'true') then 'auto_reply_received'
         when t.direction = 'received' then 'email_replied'
         else 'email_sent'
       end,
       coalesce(${ts("t.j ->> 'timestamp_email'")}, ${ts("t.j ->> 'timestamp_created'")}),
       t.j ->> 'subject',
       left(coalesce(t.j #>> '{body,text}', btrim(regexp_replace(t.j #>> '{body,html}', '<[^>]*>', ' ', 'g'))), ${MAX_BODY_CHARS}),
       coalesce(t.j ->> 'from_address_email', case when t.direction = 'sent' then t.j ->> 'eaccount' end),
       t.j ->> 'to_address_email_list',
       t.instantly_email_id,
       case
         when t.ue_type = 4 then 'a scheduled email, not sent yet'
         when x.lead_email is null or x.lead_email !~ '${EMAIL_PATTERN}' then 'no lead email address (lead, from_address_email, to_address_email_list)'
         when coalesce(${ts("t.j ->> 'timestamp_email'")}, ${ts("t.j ->> 'timestamp_created'")}) is null then 'no valid timestamp_email or timestamp_created'
       end
from t
cross join lateral (
  select lower(btrim(coalesce(
    t.j ->> 'lead',
    case when t.direction = 'received' then t.j ->> 'from_address_email'
         else split_part(t.j ->> 'to_address_email_list', ',', 1) end
  ))) as lead_email
) x`;

// A webhook event -> one event. Instantly's names as delivered, except:
// link_clicked (what Instantly sends for the email_link_clicked
// subscription) and reply_received -> email_replied, the type the same email
// gets from the sync, so the two end as one event. Custom labels stay as they come.
const STAGE_WEBHOOKS_SQL = `
with claimed as (${claim("webhook")}),
w as (
  select w.id::text as id, w.payload as j, w.event_type, w.instantly_email_id, w.event_timestamp,
         coalesce(w.lead_email, nullif(lower(btrim(w.payload ->> 'email')), '')) as lead_email,
         case w.event_type
           when 'email_link_clicked' then 'link_clicked'
           when 'reply_received' then 'email_replied'
           else nullif(btrim(w.event_type), '')
         end as our_type
  from claimed join instantly_webhooks_raw w on w.id::text = claimed.source_id
)
insert into staged (source, source_id, lead_email, first_name, last_name, company_name, job_title, instantly_campaign_id,
                    campaign_name, event_type, event_timestamp, email_subject, email_body, email_from, email_to,
                    instantly_email_id, reject_reason)
select 'webhook', w.id, w.lead_email,
       nullif(btrim(w.j ->> 'firstName'), ''), nullif(btrim(w.j ->> 'lastName'), ''),
       nullif(btrim(w.j ->> 'companyName'), ''), nullif(btrim(w.j ->> 'jobTitle'), ''),
       nullif(w.j ->> 'campaign_id', ''), w.j ->> 'campaign_name',
       w.our_type,
       coalesce(w.event_timestamp, now()),
       coalesce(w.j ->> 'reply_subject', w.j ->> 'email_subject'),
       left(coalesce(w.j ->> 'reply_text', w.j ->> 'email_text', w.j ->> 'reply_text_snippet',
                btrim(regexp_replace(coalesce(w.j ->> 'reply_html', w.j ->> 'email_html'), '<[^>]*>', ' ', 'g'))), ${MAX_BODY_CHARS}),
       case when w.our_type in ('email_replied', 'auto_reply_received') then w.lead_email else w.j ->> 'email_account' end,
       case when w.our_type in ('email_replied', 'auto_reply_received') then w.j ->> 'email_account' else w.lead_email end,
       -- Only the events that are one email carry its id (an open or a label
       -- may name the email it is about; that stays in raw_data).
       case when w.our_type in ('email_sent', 'email_replied', 'auto_reply_received') then w.instantly_email_id end,
       case
         when w.our_type is null then 'no event_type'
         when w.our_type = 'account_error' then 'a sending account event, about no lead'
         when w.lead_email is null or w.lead_email !~ '${EMAIL_PATTERN}' then 'no lead_email'
       end
from w`;

const PREPARE_SQL = [
  // Rejects are recorded (stage normalize) and left out of everything below.
  `insert into instantly_rejects (stage, resource, source_id, reason, raw_json)
   select 'normalize', s.source, s.source_id, s.reject_reason,
          case s.source when 'lead' then (select raw_json from instantly_leads_raw where instantly_lead_id = s.source_id)
                        when 'email' then (select raw_json from instantly_emails_raw where instantly_email_id = s.source_id)
                        else (select payload from instantly_webhooks_raw where id = s.source_id::uuid) end
   from staged s where s.reject_reason is not null
   on conflict (stage, resource, source_id) do update set reason = excluded.reason, raw_json = excluded.raw_json`,
  `delete from instantly_rejects r using staged s
   where s.reject_reason is null and r.stage = 'normalize' and r.resource = s.source and r.source_id = s.source_id`,
  `delete from staged where reject_reason is not null`,
  // Campaigns named by an email or webhook before the sync stored them.
  `insert into campaigns (campaign_name, instantly_campaign_id, instantly_campaign_name, uses_email, campaign_status)
   select distinct on (s.instantly_campaign_id)
          coalesce(nullif(btrim(coalesce(r.campaign_name, s.campaign_name)), ''), 'Instantly campaign ' || s.instantly_campaign_id),
          s.instantly_campaign_id, coalesce(r.campaign_name, s.campaign_name), true, 'active'
   from staged s left join instantly_campaigns_raw r on r.instantly_campaign_id = s.instantly_campaign_id
   where s.instantly_campaign_id is not null
   order by s.instantly_campaign_id
   on conflict (instantly_campaign_id) do nothing`,
  `update staged s set campaign_id = c.id from campaigns c where c.instantly_campaign_id = s.instantly_campaign_id`,
  // People we know already (most emails are to them): the steps below that
  // create people and companies look only at the others.
  `update staged s set lead_id = l.id from leads l where l.email = s.lead_email`,
  // Names and companies of people we don't know yet: from the sources of this
  // batch, else from what the leads sync stored about them.
  `update staged s set
     first_name = coalesce(s.first_name, l.first_name),
     last_name = coalesce(s.last_name, l.last_name),
     company_name = coalesce(s.company_name, l.company_name),
     website = coalesce(s.website, l.website),
     job_title = coalesce(s.job_title, l.job_title)
   from (
     -- The latest raw lead per unknown address first, its JSON read after
     -- (not for every raw row of every address in the batch).
     select r.email,
            nullif(btrim(coalesce(r.raw_json ->> 'first_name', r.raw_json #>> '{payload,firstName}')), '') as first_name,
            nullif(btrim(coalesce(r.raw_json ->> 'last_name', r.raw_json #>> '{payload,lastName}')), '') as last_name,
            nullif(btrim(coalesce(r.raw_json ->> 'company_name', r.raw_json #>> '{payload,companyName}')), '') as company_name,
            nullif(btrim(coalesce(r.raw_json ->> 'website', r.raw_json ->> 'company_domain')), '') as website,
            nullif(btrim(coalesce(r.raw_json ->> 'job_title', r.raw_json #>> '{payload,jobTitle}')), '') as job_title
     from (
       select distinct on (email) instantly_lead_id
       from instantly_leads_raw
       where email in (select lead_email from staged where source <> 'lead' and lead_id is null)
       order by email, updated_at desc
     ) latest
     join instantly_leads_raw r on r.instantly_lead_id = latest.instantly_lead_id
   ) l
   where s.source <> 'lead' and l.email = s.lead_email and s.lead_id is null`,
  // The company by domain: the website, else the email's domain unless it is free mail.
  `update staged s set domain = d.domain
   from (
     select source, source_id,
            case when candidate ~ '${DOMAIN_PATTERN}' then candidate end as domain
     from (select source, source_id, coalesce(
             leadgraph_rules.normalize_domain(website),
             case when split_part(lead_email, '@', 2) <> all ($1::text[]) then leadgraph_rules.normalize_domain(split_part(lead_email, '@', 2)) end
           ) as candidate from staged
           -- Only where it can matter: a person without a company yet, or a
           -- source that names the company (emails of known people skip the regexes).
           where company_name is not null or website is not null or lead_id is null
              or not exists (select 1 from leads l where l.id = staged.lead_id and l.company_id is not null)) c
   ) d
   where d.source = s.source and d.source_id = s.source_id`,
  `insert into companies (company_name, company_domain, website)
   select distinct on (s.domain) coalesce(s.company_name, s.domain), s.domain, s.website
   from staged s
   where s.domain is not null and not exists (select 1 from leads l where l.email = s.lead_email and l.company_id is not null)
   order by s.domain, s.company_name is null, s.source
   on conflict (company_domain) do update set company_name = excluded.company_name
   -- A company first seen without a name is named after its domain until a
   -- source gives its name (whichever batch that source is in).
   where companies.company_name is null
      or (companies.company_name = companies.company_domain and excluded.company_name <> excluded.company_domain)`,
  // A person known only by LinkedIn (e.g. from a CSV without email) gets the
  // email Instantly has for them (the CSV import's matching rules).
  // One lead per email and one email per lead (two LinkedIn-only leads of one
  // person, or one person under two URLs, must not end with the same email).
  `update leads l set email = m.lead_email
   from (
     select distinct on (p.lead_email) p.id, p.lead_email
     from (
       select distinct on (x.id) x.id, s.lead_email
       from staged s
       join leads x on x.email is null and lower(regexp_replace(x.linkedin_url, '/+$', '')) = lower(regexp_replace(s.linkedin_url, '/+$', ''))
       where s.linkedin_url is not null and s.lead_id is null
       order by x.id, s.lead_email
     ) p
     order by p.lead_email, p.id
   ) m
   where l.id = m.id`,
  // New people: one lead per lower-cased email, marked as coming from Instantly;
  // known ones get their empty fields filled.
  `insert into leads (email, first_name, last_name, job_title, phone, linkedin_url, company_id, lead_source)
   select distinct on (s.lead_email) s.lead_email, s.first_name, s.last_name, s.job_title, s.phone, s.linkedin_url,
          (select id from companies c where c.company_domain = s.domain), 'instantly'
   from staged s
   -- Known people with nothing new for them are left alone.
   where (s.lead_id is null or s.first_name is not null or s.last_name is not null or s.job_title is not null
          or s.phone is not null or s.linkedin_url is not null or s.domain is not null)
     and not exists (select 1 from leads l where l.email = s.lead_email
                       and (s.first_name is null or l.first_name is not null) and (s.last_name is null or l.last_name is not null)
                       and (s.job_title is null or l.job_title is not null) and (s.phone is null or l.phone is not null)
                       and (s.linkedin_url is null or l.linkedin_url is not null) and (s.domain is null or l.company_id is not null))
   order by s.lead_email, (s.source = 'lead') desc, s.first_name is null
   on conflict (email) do update set
     first_name = coalesce(leads.first_name, excluded.first_name),
     last_name = coalesce(leads.last_name, excluded.last_name),
     job_title = coalesce(leads.job_title, excluded.job_title),
     phone = coalesce(leads.phone, excluded.phone),
     linkedin_url = coalesce(leads.linkedin_url, excluded.linkedin_url),
     company_id = coalesce(leads.company_id, excluded.company_id)
   where (leads.first_name is null and excluded.first_name is not null)
      or (leads.last_name is null and excluded.last_name is not null)
      or (leads.job_title is null and excluded.job_title is not null)
      or (leads.phone is null and excluded.phone is not null)
      or (leads.linkedin_url is null and excluded.linkedin_url is not null)
      or (leads.company_id is null and excluded.company_id is not null)`,
  `update staged s set lead_id = l.id from leads l where s.lead_id is null and l.email = s.lead_email`,
  `insert into campaign_leads (campaign_id, lead_id)
   select distinct campaign_id, lead_id from staged s
   where campaign_id is not null and lead_id is not null
     and not exists (select 1 from campaign_leads cl where cl.campaign_id = s.campaign_id and cl.lead_id = s.lead_id)
   on conflict (campaign_id, lead_id) do nothing`,
  `update staged s set campaign_lead_id = cl.id from campaign_leads cl where cl.campaign_id = s.campaign_id and cl.lead_id = s.lead_id`,
];

// A webhook event that is an email without its id (email_id is optional in
// Instantly's payload), and the same email from the sync: one event. Matched by
// lead, campaign, type and time (within 5 minutes).
const SAME_EMAIL_WINDOW = "interval '5 minutes'";

// Adopt the webhook's event of this email, if it came first without an id.
// One event per email and one email per event (the nearest in time); run
// until nothing is left to pair, as one email may be the nearest to two events
// (two quick replies announced without ids, only one of them synced yet).
const ADOPT_WEBHOOK_EVENTS_SQL = `
update events e set instantly_email_id = m.instantly_email_id
from (
  select distinct on (p.instantly_email_id) p.id, p.instantly_email_id
  from (
    select distinct on (e2.id) e2.id, s.instantly_email_id, abs(extract(epoch from e2.event_timestamp - s.event_timestamp)) as distance
    from staged s join events e2
      on e2.lead_id = s.lead_id and e2.event_type = s.event_type and e2.event_source = 'instantly'
     and e2.campaign_id is not distinct from s.campaign_id and e2.instantly_email_id is null
     and e2.event_timestamp between s.event_timestamp - ${SAME_EMAIL_WINDOW} and s.event_timestamp + ${SAME_EMAIL_WINDOW}
    where s.source = 'email'
      and not exists (select 1 from events x where x.instantly_email_id = s.instantly_email_id)
    order by e2.id, distance, s.instantly_email_id
  ) p
  order by p.instantly_email_id, p.distance, p.id
) m
where e.id = m.id`;

const EVENTS_FROM_EMAILS_SQL = [
  // The sync's version of an email wins: a re-sync updates the event in place.
  `insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, email_subject,
                       email_body, email_from, email_to, instantly_email_id, raw_data)
   select 'instantly', s.event_type, s.lead_id, s.campaign_id, s.campaign_lead_id, s.event_timestamp, s.email_subject,
          s.email_body, s.email_from, s.email_to, s.instantly_email_id, r.raw_json
   from staged s join instantly_emails_raw r on r.instantly_email_id = s.source_id
   where s.source = 'email'
   on conflict (instantly_email_id) where instantly_email_id is not null do update set
     event_type = excluded.event_type, lead_id = excluded.lead_id, campaign_id = excluded.campaign_id,
     campaign_lead_id = excluded.campaign_lead_id, event_timestamp = excluded.event_timestamp,
     email_subject = excluded.email_subject, email_body = excluded.email_body, email_from = excluded.email_from,
     email_to = excluded.email_to, raw_data = excluded.raw_data
   where events.raw_data is distinct from excluded.raw_data or events.lead_id is distinct from excluded.lead_id
      or events.campaign_id is distinct from excluded.campaign_id`,
];

const EVENTS_FROM_WEBHOOKS_SQL = [
  // Each webhook row is normalised once (its pending row goes with this
  // transaction), so a plain insert is exact; an email already stored by the
  // sync (same id, or same lead/campaign/type/time without an id) is not added twice.
  `insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, email_subject,
                       email_body, email_from, email_to, instantly_email_id, raw_data)
   select 'instantly', s.event_type, s.lead_id, s.campaign_id, s.campaign_lead_id, s.event_timestamp, s.email_subject,
          s.email_body, s.email_from, s.email_to, s.instantly_email_id, w.payload
   from staged s join instantly_webhooks_raw w on w.id = s.source_id::uuid
   where s.source = 'webhook'
     and not (s.event_type in ('email_sent', 'email_replied', 'auto_reply_received') and s.instantly_email_id is null
              and exists (select 1 from events e where e.lead_id = s.lead_id and e.event_type = s.event_type
                            and e.event_source = 'instantly' and e.campaign_id is not distinct from s.campaign_id
                            and e.event_timestamp between s.event_timestamp - ${SAME_EMAIL_WINDOW} and s.event_timestamp + ${SAME_EMAIL_WINDOW}))
   on conflict (instantly_email_id) where instantly_email_id is not null do nothing`,
];

// campaign_leads' email workflow, recomputed from every Instantly event of the
// memberships this batch touched (and the lead's Instantly status), never
// moving backwards: pending < sent < opened < clicked < replied | bounced < unsubscribed.
// overall_status: the latest interest signal (i_status, lead_* events,
// lt_interest_status) wins among the interest statuses; else replied /
// bounced / unsubscribed / completed; a status never drops to a lower tier.
const WORKFLOW_SQL = `
with touched as (
  select distinct campaign_id, lead_id from staged where campaign_id is not null and lead_id is not null
),
ev as (
  select t.campaign_id, t.lead_id,
         max(case e.event_type when 'email_sent' then 1 when 'manual_email_sent' then 1 when 'email_opened' then 2
                               when 'link_clicked' then 3 when 'email_replied' then 4 when 'email_bounced' then 4
                               when 'lead_unsubscribed' then 5 else 0 end) as status_rank,
         bool_or(e.event_type = 'email_replied') as replied,
         bool_or(e.event_type = 'email_bounced') as bounced,
         bool_or(e.event_type = 'lead_unsubscribed') as unsubscribed,
         bool_or(e.event_type = 'campaign_completed') as completed,
         min(e.event_timestamp) filter (where e.event_type in ('email_sent', 'manual_email_sent')) as sent_at,
         max(e.event_timestamp) filter (where e.event_type in ('email_sent', 'manual_email_sent')) as last_sent_at,
         min(e.event_timestamp) filter (where e.event_type = 'email_opened') as opened_at,
         min(e.event_timestamp) filter (where e.event_type = 'email_replied') as replied_at,
         max(e.event_timestamp) as last_at,
         max(leadgraph_private.instantly_step_number(e.raw_data ->> 'step')) filter (where e.event_type in ('email_sent', 'manual_email_sent')) as step,
         (array_agg(leadgraph_private.instantly_interest_status(coalesce(e.raw_data ->> 'i_status', e.event_type)) order by e.event_timestamp desc)
            filter (where leadgraph_private.instantly_interest_status(coalesce(e.raw_data ->> 'i_status', e.event_type)) is not null))[1] as interest,
         max(e.event_timestamp) filter (where leadgraph_private.instantly_interest_status(coalesce(e.raw_data ->> 'i_status', e.event_type)) is not null) as interest_at
  from touched t
  join events e on e.lead_id = t.lead_id and e.campaign_id = t.campaign_id and e.event_source = 'instantly'
  group by t.campaign_id, t.lead_id
),
li as (
  -- What Instantly says of the lead in this campaign (POST /leads/list):
  -- status -1 bounced, -2 unsubscribed, 3 completed; lt_interest_status.
  select distinct on (t.campaign_id, t.lead_id) t.campaign_id, t.lead_id,
         r.raw_json ->> 'status' as lead_status,
         leadgraph_private.instantly_interest_status(r.raw_json ->> 'lt_interest_status') as interest,
         ${ts("r.raw_json ->> 'timestamp_last_interest_change'")} as interest_at
  from touched t
  join leads l on l.id = t.lead_id
  join campaigns c on c.id = t.campaign_id
  join instantly_leads_raw r on r.email = l.email and r.instantly_campaign_id = c.instantly_campaign_id
  order by t.campaign_id, t.lead_id, r.updated_at desc
),
computed as (
  select t.campaign_id, t.lead_id,
         greatest(coalesce(ev.status_rank, 0), case li.lead_status when '-1' then 4 when '-2' then 5 else 0 end) as status_rank,
         coalesce(ev.replied, false) as replied,
         coalesce(ev.unsubscribed, false) or li.lead_status = '-2' as unsubscribed,
         coalesce(ev.bounced, false) or li.lead_status = '-1' as bounced,
         coalesce(ev.completed, false) or li.lead_status = '3' as completed,
         ev.sent_at, ev.last_sent_at, ev.opened_at, ev.replied_at, ev.last_at, ev.step,
         case when li.interest is not null and (ev.interest is null or li.interest_at > ev.interest_at) then li.interest
              else ev.interest end as interest
  from touched t left join ev using (campaign_id, lead_id) left join li using (campaign_id, lead_id)
),
target as (
  select c.*,
         case c.status_rank when 1 then 'sent' when 2 then 'opened' when 3 then 'clicked'
                            when 4 then case when c.replied then 'replied' else 'bounced' end
                            when 5 then 'unsubscribed' end as email_status,
         coalesce(c.interest,
                  case when c.unsubscribed then 'unsubscribed' when c.bounced then 'bounced'
                       when c.replied then 'replied' when c.completed then 'completed' end) as overall_status
  from computed c
),
rank as (
  select t.*, cl.id,
         case cl.email_status when 'sent' then 1 when 'opened' then 2 when 'clicked' then 3 when 'replied' then 4
                              when 'bounced' then 4 when 'unsubscribed' then 5 else 0 end as current_rank,
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
         case when r.status_rank > r.current_rank then r.email_status else r.current_email_status end as new_email_status,
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
         -- The next step is due \`delay\` after the last email sent (Instantly's
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
       least(cl.email_replied_at, p.replied_at), p.new_step, greatest(cl.last_activity_at, p.last_at), p.new_followup)`;

type Source = "lead" | "email" | "webhook";
const STAGE_SQL: Record<Source, string> = { lead: STAGE_LEADS_SQL, email: STAGE_EMAILS_SQL, webhook: STAGE_WEBHOOKS_SQL };

/** LEADGRAPH_PROFILE_SQL=1: each statement's time on stderr (to find where a batch spends it). */
function profiled(client: PoolClient): PoolClient {
  return new Proxy(client, {
    get(target, property) {
      if (property !== "query") return Reflect.get(target, property);
      return async (sql: string, values?: unknown[]) => {
        const started = performance.now();
        try {
          return await target.query(sql, values);
        } finally {
          const label = sql.replace(/--.*$/gm, "").replace(/\s+/g, " ").trim().slice(0, 90);
          console.error(`[normalize] ${(performance.now() - started).toFixed(0).padStart(6)} ms  ${label}`);
        }
      };
    },
  });
}

/** One batch of one source; returns how many pending rows it took (0 = none left). */
async function normalizeBatch(db: PoolClient, source: Source, batchSize: number): Promise<{ taken: number; rejected: number }> {
  const client = process.env.LEADGRAPH_PROFILE_SQL ? profiled(db) : db;
  return inTransaction(client, async () => {
    await client.query(CREATE_STAGED_SQL);
    const staged = await client.query(STAGE_SQL[source], [batchSize]);
    if (!staged.rowCount) {
      await client.query("drop table staged");
      return { taken: 0, rejected: 0 };
    }
    let rejected = 0;
    for (const [index, sql] of PREPARE_SQL.entries()) {
      const result = await client.query(sql, sql.includes("$1") ? [FREE_MAIL_DOMAINS] : []);
      if (index === 0) rejected = result.rowCount ?? 0;
    }
    if (source === "email") {
      while ((await client.query(ADOPT_WEBHOOK_EVENTS_SQL)).rowCount);
      for (const sql of EVENTS_FROM_EMAILS_SQL) await client.query(sql);
    }
    if (source === "webhook") for (const sql of EVENTS_FROM_WEBHOOKS_SQL) await client.query(sql);
    await client.query(WORKFLOW_SQL);
    return { taken: staged.rowCount, rejected };
  });
}

/** Drains leadgraph_private.instantly_pending: campaigns, leads, emails, webhooks, in batches. */
export async function normalizeInstantly(client: PoolClient, options: { batchSize?: number } = {}): Promise<NormalizeCounts> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const counts: NormalizeCounts = { campaigns: 0, leads: 0, emails: 0, webhooks: 0, rejected: 0 };
  for (;;) {
    const { rows } = await inTransaction(client, () => client.query<{ claimed: number }>(CAMPAIGNS_SQL, [batchSize]));
    counts.campaigns += rows[0]!.claimed;
    if (rows[0]!.claimed < batchSize) break;
  }
  const plural = { lead: "leads", email: "emails", webhook: "webhooks" } as const;
  for (const source of ["lead", "email", "webhook"] as const) {
    for (;;) {
      const result = await normalizeOrSetAside(client, source, batchSize);
      counts[plural[source]] += result.taken;
      counts.rejected += result.rejected;
      if (result.taken < batchSize) break;
    }
  }
  return counts;
}

/**
 * One bad row must not stop the rest: a batch failing on its data is split in
 * halves (the pending rows are taken in a fixed order) down to the one row
 * that fails, which is set aside with the error.
 */
async function normalizeOrSetAside(client: PoolClient, source: Source, size: number): Promise<{ taken: number; rejected: number }> {
  try {
    return await normalizeBatch(client, source, size);
  } catch (error) {
    if (!isDataError(error)) throw error;
    if (size === 1) {
      await setAside(client, source, (error as Error).message);
      return { taken: 1, rejected: 1 };
    }
    const half = Math.ceil(size / 2);
    const first = await normalizeOrSetAside(client, source, half);
    if (first.taken < half) return first;
    const second = await normalizeOrSetAside(client, source, size - half);
    return { taken: first.taken + second.taken, rejected: first.rejected + second.rejected };
  }
}

/** PostgreSQL errors about the data (classes 22 data exception and 23 integrity), not the connection or the code. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("22") || code.startsWith("23") || code === "54000");
}

const RAW_OF: Record<Source, { table: string; key: string }> = {
  lead: { table: "instantly_leads_raw", key: "instantly_lead_id" },
  email: { table: "instantly_emails_raw", key: "instantly_email_id" },
  webhook: { table: "instantly_webhooks_raw", key: "id::text" },
};

/** Takes the next pending row of a source (the one a batch of 1 failed on) off the queue, into instantly_rejects. */
async function setAside(client: PoolClient, source: Source, message: string): Promise<void> {
  const { table, key } = RAW_OF[source];
  await inTransaction(client, () =>
    client.query(
      `with claimed as (${claim(source)})
       insert into instantly_rejects (stage, resource, source_id, reason, raw_json)
       select 'normalize', $2, claimed.source_id, $3,
              (select ${source === "webhook" ? "payload" : "raw_json"} from ${table} where ${key} = claimed.source_id)
       from claimed
       on conflict (stage, resource, source_id) do update set reason = excluded.reason, raw_json = excluded.raw_json`,
      [1, source, `could not be normalised: ${message}`],
    ),
  );
}
