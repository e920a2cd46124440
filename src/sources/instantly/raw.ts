// Every write to Instantly's raw layer (instantly_*_raw), one function per
// table: upserts by Instantly's ids, raw_json exactly as received, plus the
// few columns read out of it for indexes and the API. The sync writes through
// these and so do the normaliser's tests, so both start from the same rows.
// The insert and update triggers of these tables queue changed rows for the
// normaliser; an upsert of an unchanged record writes nothing.
import type { QueryResult, QueryResultRow } from "pg";

/** A pool, a client or a job's helpers: anything that runs one statement. */
export interface Queryable {
  query<R extends QueryResultRow = any>(sql: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** A JSON number as an integer column (Instantly's counters), else null. */
function intOf(expr: string): string {
  return `(case when jsonb_typeof(${expr}) = 'number' and (${expr})::numeric between -2147483648 and 2147483647 then (${expr})::numeric::integer end)`;
}

/** One campaign as stored: GET /campaigns' object and GET /campaigns/analytics' object, each as received (or null). */
export interface CampaignRow {
  id: string;
  raw: { campaign: unknown; analytics: unknown };
}

/**
 * instantly_campaigns_raw. With `analyticsOnly` (a campaign the analytics know
 * of but the list did not return) the campaign object stored before is kept.
 */
export async function upsertCampaigns(db: Queryable, rows: CampaignRow[], options: { analyticsOnly?: boolean } = {}): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `insert into instantly_campaigns_raw as t (instantly_campaign_id, campaign_name, campaign_status, leads_count, contacted_count,
                                          reply_count, emails_sent_count, raw_json, synced_at)
     select x ->> 'id',
            coalesce(x #>> '{raw,campaign,name}', x #>> '{raw,analytics,campaign_name}'),
            ${intOf("coalesce(x #> '{raw,campaign,status}', x #> '{raw,analytics,campaign_status}')")},
            ${intOf("x #> '{raw,analytics,leads_count}'")}, ${intOf("x #> '{raw,analytics,contacted_count}'")},
            ${intOf("x #> '{raw,analytics,reply_count}'")}, ${intOf("x #> '{raw,analytics,emails_sent_count}'")},
            x -> 'raw', now()
     from jsonb_array_elements($1::jsonb) x
     on conflict (instantly_campaign_id) do update set
       campaign_name = excluded.campaign_name, campaign_status = excluded.campaign_status, leads_count = excluded.leads_count,
       contacted_count = excluded.contacted_count, reply_count = excluded.reply_count, emails_sent_count = excluded.emails_sent_count,
       raw_json = ${options.analyticsOnly ? "jsonb_set(excluded.raw_json, '{campaign}', coalesce(t.raw_json -> 'campaign', 'null'))" : "excluded.raw_json"},
       synced_at = excluded.synced_at
     where t.raw_json is distinct from excluded.raw_json`,
    [JSON.stringify(rows)],
  );
}

/** instantly_accounts_raw: GET /accounts' objects, keyed by the mailbox's address. */
export async function upsertAccounts(db: Queryable, accounts: unknown[]): Promise<void> {
  if (!accounts.length) return;
  await db.query(
    `insert into instantly_accounts_raw as t (email, first_name, last_name, account_status, warmup_status, warmup_score, raw_json, synced_at)
     select leadgraph_rules.normalize_email(x ->> 'email'), x ->> 'first_name', x ->> 'last_name',
            ${intOf("x -> 'status'")}, ${intOf("x -> 'warmup_status'")},
            case when jsonb_typeof(x -> 'stat_warmup_score') = 'number' then (x ->> 'stat_warmup_score')::numeric end,
            x, now()
     from jsonb_array_elements($1::jsonb) x
     on conflict (email) do update set
       first_name = excluded.first_name, last_name = excluded.last_name, account_status = excluded.account_status,
       warmup_status = excluded.warmup_status, warmup_score = excluded.warmup_score, raw_json = excluded.raw_json,
       synced_at = excluded.synced_at`,
    [JSON.stringify(accounts)],
  );
}

/**
 * instantly_daily_analytics_raw: GET /campaigns/analytics/daily's rows, which
 * carry no campaign id: `campaignId` is the one they were asked for, null for
 * the workspace totals.
 */
export async function upsertDailyAnalytics(db: Queryable, days: unknown[], campaignId: string | null): Promise<void> {
  if (!days.length) return;
  await db.query(
    `insert into instantly_daily_analytics_raw as t (analytics_date, instantly_campaign_id, sent, opened, unique_opened, replies,
                                                  unique_replies, clicks, unique_clicks, raw_json, synced_at)
     select (x ->> 'date')::date, $2, ${intOf("x -> 'sent'")}, ${intOf("x -> 'opened'")}, ${intOf("x -> 'unique_opened'")},
            ${intOf("x -> 'replies'")}, ${intOf("x -> 'unique_replies'")}, ${intOf("x -> 'clicks'")}, ${intOf("x -> 'unique_clicks'")},
            x, now()
     from jsonb_array_elements($1::jsonb) x
     on conflict (analytics_date, instantly_campaign_id) do update set
       sent = excluded.sent, opened = excluded.opened, unique_opened = excluded.unique_opened, replies = excluded.replies,
       unique_replies = excluded.unique_replies, clicks = excluded.clicks, unique_clicks = excluded.unique_clicks,
       raw_json = excluded.raw_json, synced_at = excluded.synced_at`,
    [JSON.stringify(days), campaignId],
  );
}

/**
 * instantly_emails_raw: GET /emails' objects. An email without campaign_id
 * gets `campaignId`, the campaign its page was asked for.
 */
export async function upsertEmails(db: Queryable, emails: unknown[], campaignId?: string): Promise<void> {
  if (!emails.length) return;
  await db.query(
    `insert into instantly_emails_raw as t (instantly_email_id, instantly_campaign_id, email_address, event_type, event_date, raw_json)
     select x ->> 'id', coalesce(x ->> 'campaign_id', $2), leadgraph_rules.normalize_email(x ->> 'lead'),
            case when (x ->> 'ue_type') = '4' then 'email_scheduled'
                 when (x ->> 'ue_type') = '3' then 'manual_email_sent'
                 when (x ->> 'ue_type') = '2' and (x ->> 'is_auto_reply') = '1' then 'auto_reply_received'
                 when (x ->> 'ue_type') = '2' then 'email_replied'
                 else 'email_sent' end,
            coalesce(x ->> 'timestamp_email', x ->> 'timestamp_created')::timestamptz,
            x
     from jsonb_array_elements($1::jsonb) x
     on conflict (instantly_email_id) do update set
       instantly_campaign_id = excluded.instantly_campaign_id, email_address = excluded.email_address,
       event_type = excluded.event_type, event_date = excluded.event_date, raw_json = excluded.raw_json
     where t.raw_json is distinct from excluded.raw_json`,
    [JSON.stringify(emails), campaignId ?? null],
  );
}

/**
 * instantly_leads_raw: POST /leads/list's objects. A lead without `campaign`
 * gets `campaignId`, the campaign its page was asked for.
 */
export async function upsertLeads(db: Queryable, leads: unknown[], campaignId?: string): Promise<void> {
  if (!leads.length) return;
  await db.query(
    `insert into instantly_leads_raw as t (instantly_lead_id, instantly_campaign_id, email, raw_json, synced_at)
     select x ->> 'id', coalesce(x ->> 'campaign', $2), leadgraph_rules.normalize_email(x ->> 'email'), x, now()
     from jsonb_array_elements($1::jsonb) x
     on conflict (instantly_lead_id) do update set
       instantly_campaign_id = excluded.instantly_campaign_id, email = excluded.email, raw_json = excluded.raw_json,
       synced_at = excluded.synced_at
     where t.raw_json is distinct from excluded.raw_json`,
    [JSON.stringify(leads), campaignId ?? null],
  );
}

/**
 * instantly_webhooks_raw, through receive_instantly_webhook(): one delivery
 * of a webhook event; a repeated delivery of the same event counts up
 * `deliveries` instead of adding a row.
 */
export async function storeWebhook(db: Queryable, payload: unknown): Promise<{ id: string; deliveries: number }> {
  const { rows } = await db.query<{ id: string; deliveries: number }>("select * from receive_instantly_webhook($1::jsonb)", [
    JSON.stringify(payload),
  ]);
  return rows[0]!;
}
