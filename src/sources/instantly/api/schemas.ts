// Lenient validation of what Instantly API v2 sends (reference §2).
//
// Instantly omits null fields or sends them as null, and adds fields over time,
// so every field may be missing or null and unknown fields are kept. What is
// rejected is a field with the wrong type (a timestamp that is a number, a 0/1
// flag that is a string...), and a record without its id: such a record is
// returned in `rejected` with a readable reason instead of throwing, so one bad
// record never stops a sync.
import { z } from "zod";

// Primitives: each accepts its type, null or a missing key.
const text = z.string().nullish();
const num = z.number().nullish();
const bool = z.boolean().nullish();
/** Instantly's 0/1 flags on emails are numbers, not booleans. */
const flag = z.number().nullish();
const strings = z.array(z.string()).nullish();
const anyArray = z.array(z.unknown()).nullish();
const anyObject = z.record(z.string(), z.unknown()).nullish();
const id = z.string().min(1);

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
function isIsoTimestamp(value: string): boolean {
  return ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}
/** An ISO-8601 timestamp such as "2025-09-12T10:02:21.146Z". */
const timestamp = z.string().refine(isIsoTimestamp, { message: "expected an ISO timestamp" }).nullish();
/** A day "YYYY-MM-DD" (a full ISO timestamp is accepted too). */
const day = z
  .string()
  .refine((value) => /^\d{4}-\d{2}-\d{2}/.test(value) && isIsoTimestamp(value), { message: "expected a date YYYY-MM-DD" });

const campaignSchema = z.looseObject({
  id,
  name: text,
  status: num,
  pl_value: num,
  is_evergreen: bool,
  campaign_schedule: z
    .looseObject({
      start_date: text,
      end_date: text,
      schedules: anyArray,
    })
    .nullish(),
  sequences: z.array(z.looseObject({ steps: anyArray })).nullish(),
  timestamp_created: timestamp,
  timestamp_updated: timestamp,
  email_gap: num,
  random_wait_max: num,
  daily_limit: num,
  daily_max_leads: num,
  text_only: bool,
  first_email_text_only: bool,
  stop_on_reply: bool,
  link_tracking: bool,
  open_tracking: bool,
  stop_on_auto_reply: bool,
  prioritize_new_leads: bool,
  match_lead_esp: bool,
  stop_for_company: bool,
  insert_unsubscribe_header: bool,
  allow_risky_contacts: bool,
  disable_bounce_protect: bool,
  email_list: strings,
  email_tag_list: strings,
  auto_variant_select: anyObject,
  not_sending_status: num,
  core_variables: anyObject,
  custom_variables: anyObject,
  limit_emails_per_company_override: anyObject,
  cc_list: strings,
  bcc_list: strings,
  organization: text,
  owned_by: text,
  ai_sdr_id: text,
  provider_routing_rules: anyArray,
});

const campaignAnalyticsSchema = z.looseObject({
  campaign_id: id,
  campaign_name: text,
  campaign_status: num,
  campaign_is_evergreen: bool,
  leads_count: num,
  contacted_count: num,
  emails_sent_count: num,
  new_leads_contacted_count: num,
  open_count: num,
  open_count_unique: num,
  open_count_unique_by_step: num,
  reply_count: num,
  reply_count_unique: num,
  reply_count_unique_by_step: num,
  reply_count_automatic: num,
  reply_count_automatic_unique: num,
  reply_count_automatic_unique_by_step: num,
  link_click_count: num,
  link_click_count_unique: num,
  link_click_count_unique_by_step: num,
  bounced_count: num,
  unsubscribed_count: num,
  completed_count: num,
  total_opportunities: num,
  total_opportunity_value: num,
});

/** A row of GET /campaigns/analytics/daily: no campaign id (it is the request's); `date` is its key. */
const dailyAnalyticsSchema = z.looseObject({
  date: day,
  sent: num,
  contacted: num,
  new_leads_contacted: num,
  opened: num,
  unique_opened: num,
  replies: num,
  unique_replies: num,
  replies_automatic: num,
  unique_replies_automatic: num,
  clicks: num,
  unique_clicks: num,
  opportunities: num,
  unique_opportunities: num,
});

const accountSchema = z.looseObject({
  /** The account's identifier (accounts have no id). */
  email: id,
  first_name: text,
  last_name: text,
  organization: text,
  timestamp_created: timestamp,
  timestamp_updated: timestamp,
  timestamp_warmup_start: timestamp,
  status: num,
  warmup_status: num,
  provider_code: num,
  setup_pending: bool,
  is_managed_account: bool,
  stat_warmup_score: num,
  daily_limit: num,
  daily_limit_max: num,
  warmup_limit_max: num,
  sending_gap: num,
  enable_slow_ramp: bool,
  inbox_placement_test_limit: num,
  tracking_domain_name: text,
  tracking_domain_status: text,
  signature: text,
  reply_to: text,
  added_by: text,
  modified_by: text,
  autofix_failed: bool,
  status_message: anyObject,
  warmup: anyObject,
  tags: anyArray,
});

const emailSchema = z.looseObject({
  id,
  timestamp_created: timestamp,
  timestamp_email: timestamp,
  message_id: text,
  subject: text,
  from_address_email: text,
  /** Comma-separated addresses, not an array. */
  to_address_email_list: text,
  cc_address_email_list: text,
  bcc_address_email_list: text,
  reply_to: text,
  body: z.looseObject({ text: text, html: text }).nullish(),
  organization_id: text,
  eaccount: text,
  campaign_id: text,
  subsequence_id: text,
  list_id: text,
  lead: text,
  lead_id: text,
  ue_type: num,
  /** "<sequence>_<step>_<variant>", 0-based, e.g. "0_1_0". */
  step: text,
  is_unread: flag,
  is_auto_reply: flag,
  is_focused: flag,
  ai_assisted: flag,
  ai_interest_value: num,
  i_status: num,
  reminder_ts: timestamp,
  thread_id: text,
  content_preview: text,
  attachment_json: anyObject,
  from_address_json: anyArray,
  to_address_json: anyArray,
  cc_address_json: anyArray,
  ai_agent_id: text,
});

const leadSchema = z.looseObject({
  id,
  timestamp_created: timestamp,
  timestamp_updated: timestamp,
  organization: text,
  status: num,
  email_open_count: num,
  email_reply_count: num,
  email_click_count: num,
  company_domain: text,
  status_summary: anyObject,
  email: text,
  first_name: text,
  last_name: text,
  company_name: text,
  job_title: text,
  phone: text,
  website: text,
  personalization: text,
  campaign: text,
  list_id: text,
  payload: anyObject,
  last_step_from: text,
  last_step_id: text,
  last_step_timestamp_executed: timestamp,
  timestamp_last_contact: timestamp,
  timestamp_last_open: timestamp,
  timestamp_last_reply: timestamp,
  timestamp_last_click: timestamp,
  timestamp_last_touch: timestamp,
  timestamp_last_interest_change: timestamp,
  timestamp_added_subsequence: timestamp,
  email_opened_step: num,
  email_opened_variant: num,
  email_replied_step: num,
  email_replied_variant: num,
  email_clicked_step: num,
  email_clicked_variant: num,
  lt_interest_status: num,
  verification_status: num,
  enrichment_status: num,
  upload_method: text,
  esp_code: num,
  esg_code: num,
  uploaded_by_user: text,
  assigned_to: text,
  is_website_visitor: bool,
  subsequence_id: text,
  last_contacted_from: text,
});

const SCHEMAS = {
  campaign: campaignSchema,
  campaign_analytics: campaignAnalyticsSchema,
  daily_analytics: dailyAnalyticsSchema,
  account: accountSchema,
  email: emailSchema,
  lead: leadSchema,
};

export type InstantlyResource = keyof typeof SCHEMAS;
/** A validated record of `R` (unknown fields kept). */
export type InstantlyRecord<R extends InstantlyResource> = z.infer<(typeof SCHEMAS)[R]>;

/** The same map, typed so that schemas[resource] parses to InstantlyRecord<typeof resource>. */
const schemas: { [R in InstantlyResource]: z.ZodType<InstantlyRecord<R>> } = SCHEMAS;

export interface ValidationResult<T> {
  /** record: the parsed record (unknown fields kept); raw: the item exactly as received. */
  valid: { record: T; raw: unknown }[];
  rejected: { raw: unknown; reason: string }[];
}

/**
 * Splits the items of a page into valid records and rejected ones with a
 * reason such as `email.timestamp_created: expected string, got number`.
 * Never throws for bad data.
 */
export function validateRecords<R extends InstantlyResource>(resource: R, items: unknown[]): ValidationResult<InstantlyRecord<R>> {
  const schema = schemas[resource];
  if (!schema) throw new Error(`unknown Instantly resource "${resource}"`);
  const result: ValidationResult<InstantlyRecord<R>> = { valid: [], rejected: [] };
  for (const raw of items) {
    const parsed = schema.safeParse(raw);
    if (parsed.success) result.valid.push({ record: parsed.data, raw });
    else result.rejected.push({ raw, reason: describeIssues(resource, raw, parsed.error.issues) });
  }
  return result;
}

function describeIssues(resource: string, raw: unknown, issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = [resource, ...issue.path.map(String)].join(".");
      const value = valueAt(raw, issue.path);
      switch (issue.code) {
        case "invalid_type":
          return value === undefined
            ? `${where}: missing, expected ${issue.expected}`
            : `${where}: expected ${issue.expected === "record" ? "object" : issue.expected}, got ${typeName(value)}`;
        case "too_small":
          return issue.origin === "string" ? `${where}: expected a non-empty string, got ""` : `${where}: ${issue.message}`;
        case "custom":
          return `${where}: ${issue.message}, got ${preview(value)}`;
        default:
          return `${where}: ${issue.message}`;
      }
    })
    .join("; ");
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function preview(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
