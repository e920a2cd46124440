// Deterministic generated data for the fake Instantly API v2 server.
//
// Everything comes from one small seeded PRNG, so a seed always gives the same
// workspace: campaigns, the sending accounts they use, leads per campaign, and
// the Unibox emails (campaign steps, replies, auto replies, manual emails)
// plus opens/clicks that feed the analytics. Shapes and quirks follow
// docs/sources/instantly-api.md (quoted as "ref §x").
//
// Built for size: 200,000 emails are generated in well under a few seconds.
// Emails are kept in arrays sorted by id (UUIDv7, so by creation time), one for
// the workspace and one per campaign, which the server binary-searches.

// ---------------------------------------------------------------- randomness

/** A function returning floats in [0, 1). */
export type Rng = () => number;

/** sfc32, seeded from one integer: small, fast and good enough for test data. */
export function createRng(seed: number): Rng {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = (seed ^ 0xdeadbeef) >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

const u32 = (rng: Rng) => Math.floor(rng() * 4294967296) >>> 0;
const int = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

// Ids and timestamps are written into one byte buffer and read back as flat
// strings: much cheaper than toString(16)/padStart/toISOString at 200k emails.
const scratch = Buffer.alloc(64);
const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");

/** Writes `digits` hex digits of `value` (< 2^53) ending just before `end`. */
function writeHex(value: number, digits: number, end: number): void {
  for (let i = 1; i <= digits; i++) {
    scratch[end - i] = HEX_DIGITS[value % 16]!;
    value = Math.floor(value / 16);
  }
}

function uuidString(timeHigh: number, timeLow: number, a: number, b: number, c: number, d: number): string {
  writeHex(timeHigh, 8, 8);
  scratch[8] = 45; // "-"
  writeHex(timeLow, 4, 13);
  scratch[13] = 45;
  writeHex(a, 4, 18);
  scratch[18] = 45;
  writeHex(b, 4, 23);
  scratch[23] = 45;
  writeHex(c, 4, 28);
  writeHex(d, 8, 36);
  return scratch.toString("latin1", 0, 36);
}

/**
 * A UUIDv7 for a creation time: 48 bits of Unix milliseconds, then seeded
 * random bits. Ids therefore sort like their timestamps ("Email ids are UUIDv7
 * (time-ordered)", ref §1.4); equal milliseconds are ordered by the random bits.
 */
export function uuidv7(ms: number, rng: Rng): string {
  const r1 = u32(rng);
  const r2 = u32(rng);
  return uuidString(Math.floor(ms / 65536), ms % 65536, 0x7000 | (r1 & 0xfff), 0x8000 | ((r1 >>> 12) & 0x3fff), r2 & 0xffff, u32(rng));
}

/** The creation time (Unix ms) a UUIDv7 carries. */
export function uuidv7Ms(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** A random (version 4) UUID, for ids Instantly does not derive from time (campaigns, workspace...). */
export function uuidv4(rng: Rng): string {
  const r1 = u32(rng);
  const r2 = u32(rng);
  return uuidString(u32(rng), r1 & 0xffff, 0x4000 | ((r1 >>> 16) & 0xfff), 0x8000 | (r2 & 0x3fff), r2 >>> 16, u32(rng));
}

const BASE64URL = Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", "latin1");
function token(rng: Rng, length: number): string {
  for (let i = 0; i < length; i++) scratch[i] = BASE64URL[Math.floor(rng() * 64)]!;
  return scratch.toString("latin1", 0, length);
}

const joined = Buffer.alloc(16_384);
/**
 * Concatenates into one flat string. V8 keeps `a + b` as a tree of "cons
 * strings" (an object per +): at 200k emails those cost more memory and GC
 * time than the email objects themselves. All generated text is Latin-1.
 */
function flat(...parts: string[]): string {
  let length = 0;
  for (const part of parts) {
    if (length + part.length > joined.length) return parts.join("");
    length += joined.write(part, length, "latin1");
  }
  return joined.toString("latin1", 0, length);
}

// -------------------------------------------------------------------- types

export interface FakeSchedule {
  name: string;
  timing: { from: string; to: string };
  /** Keys are strings, "0" (Sunday) usually missing (ref §2.1). */
  days: Record<string, boolean>;
  timezone: string;
}

export interface FakeStep {
  type: "email";
  delay: number;
  delay_unit?: "days";
  variants: { subject: string; body: string; v_disabled?: boolean }[];
}

export interface FakeCampaign {
  id: string;
  name: string;
  /** 0 draft, 1 active, 2 paused, 3 completed, 4 running subsequences, -1 accounts unhealthy, -2 bounce protect, -99 account suspended. */
  status: number;
  /** start_date/end_date: "YYYY-MM-DD", "" (real: often), null, or absent on a draft. */
  campaign_schedule: { schedules: FakeSchedule[]; start_date?: string | null; end_date?: string | null };
  timestamp_created: string;
  timestamp_updated: string;
  pl_value?: number;
  is_evergreen: boolean;
  /** Absent on a draft nobody wrote yet (optional in the spec). */
  sequences?: { steps: FakeStep[] }[];
  text_only: boolean;
  first_email_text_only: boolean;
  email_list: string[];
  email_tag_list: string[];
  daily_limit: number;
  email_gap: number;
  random_wait_max: number;
  stop_on_reply: boolean;
  link_tracking: boolean;
  open_tracking: boolean;
  stop_on_auto_reply: boolean;
  prioritize_new_leads: boolean;
  match_lead_esp: boolean;
  stop_for_company: boolean;
  insert_unsubscribe_header: boolean;
  allow_risky_contacts: boolean;
  disable_bounce_protect: boolean;
  daily_max_leads?: number;
  not_sending_status?: number;
  cc_list: string[];
  bcc_list: string[];
  organization: string;
  owned_by: string;
  provider_routing_rules: { action: string; recipient_esp: string[]; sender_esp: string[] }[];
  auto_variant_select?: { trigger: string };
}

export interface FakeAccount {
  email: string;
  timestamp_created: string;
  timestamp_updated: string;
  first_name: string;
  last_name: string;
  organization: string;
  warmup_status: number;
  provider_code: number;
  setup_pending: boolean;
  is_managed_account: boolean;
  warmup?: Record<string, unknown>;
  added_by?: string;
  modified_by?: string;
  daily_limit?: number;
  tracking_domain_name?: string;
  tracking_domain_status?: string;
  status: number;
  enable_slow_ramp?: boolean;
  timestamp_warmup_start?: string;
  /** Sometimes fractional: store as numeric (ref §2.4). */
  stat_warmup_score?: number;
  sending_gap: number;
  status_message?: { code: string; command: string; responseCode: number; response: string; e_message: string };
}

/**
 * One lead as POST /leads/list sends it. The person's fields are the custom
 * variables in `payload`, named as the user named them on upload (`firstName`
 * or `First_name`...); the top-level first_name, last_name, company_name,
 * job_title and website are set only for leads added with them through the
 * API, and otherwise absent or null.
 */
export interface FakeLead {
  id: string;
  timestamp_created: string;
  timestamp_updated: string;
  organization: string;
  campaign: string;
  /** 1 active (also when not contacted yet), 2 paused, 3 completed, -1 bounced, -2 unsubscribed, -3 skipped. */
  status: number;
  email: string;
  first_name?: string | null;
  last_name?: string | null;
  company_name?: string | null;
  company_domain: string;
  job_title?: string | null;
  phone?: string;
  website?: string | null;
  personalization?: string;
  email_open_count: number;
  email_reply_count: number;
  email_click_count: number;
  payload: Record<string, string | number | boolean>;
  status_summary: { lastStep?: { from: string; stepID: string; timestamp_executed: string } };
  verification_status: number;
  upload_method: string;
  esp_code: number;
  esg_code: number;
  list_id: null;
  assigned_to: null;
  last_step_from?: string;
  last_step_id?: string;
  last_step_timestamp_executed?: string;
  timestamp_last_contact?: string;
  timestamp_last_touch?: string;
  timestamp_last_open?: string;
  timestamp_last_click?: string;
  timestamp_last_reply?: string;
  timestamp_last_interest_change?: string;
  lt_interest_status?: number;
}

/**
 * One Unibox email as GET /emails sends it. Absent optional keys are OMITTED,
 * never null ("null fields omitted, not null", ref §1.5); flags are 0/1 numbers.
 */
export interface FakeEmail {
  id: string;
  timestamp_created: string;
  timestamp_email: string;
  message_id: string;
  subject: string;
  /** A comma-separated string, not an array (ref §2.5). */
  to_address_email_list: string;
  cc_address_email_list?: string;
  body: { text?: string; html?: string };
  organization_id: string;
  eaccount: string;
  from_address_email?: string;
  from_address_json?: { name: string; address: string }[];
  campaign_id?: string;
  lead?: string;
  lead_id?: string;
  /** 1 sent from campaign, 2 received, 3 sent manually. */
  ue_type: number;
  /** "<seq>_<step>_<variant>", 0-based; a reply carries the step it answers. */
  step?: string;
  is_unread?: number;
  is_auto_reply?: number;
  is_focused?: number;
  i_status?: number;
  ai_interest_value?: number;
  thread_id?: string;
  content_preview?: string;
}

/** An open or a click: not served by any list endpoint, but counted by the analytics and used by webhooks. */
export interface FakeEngagement {
  type: "open" | "click";
  timestamp: string;
  campaign_id: string;
  lead_id: string;
  lead_email: string;
  eaccount: string;
  /** 0-based step and variant of the opened email. */
  step: number;
  variant: number;
  email_id: string;
}

export interface FakeData {
  seed: number;
  now: Date;
  /** The workspace (organization) id. */
  organization: string;
  /** In GET /campaigns order: ascending id. */
  campaigns: FakeCampaign[];
  /** In GET /accounts order: timestamp_created desc. */
  accounts: FakeAccount[];
  /** In POST /leads/list order: ascending id. */
  leads: FakeLead[];
  /** In GET /emails order: newest first (descending id). */
  emails: FakeEmail[];
  /** Opens and clicks, oldest first. */
  engagements: FakeEngagement[];
}

export interface GenerateOptions {
  seed?: number;
  campaigns?: number;
  accounts?: number;
  emails?: number;
  now?: Date;
}

export const DEFAULT_NOW = new Date("2026-11-01T12:00:00.000Z");

// ------------------------------------------------------------- word pools

// prettier-ignore
const FIRST_NAMES = [
  "Jane", "Tom", "Ana", "Alex", "Sam", "Priya", "Marco", "Lena", "David", "Chloe", "Omar", "Hannah", "Lucas", "Sofia",
  "Ethan", "Mia", "Noah", "Emma", "Liam", "Olivia", "Mateo", "Aisha", "Kenji", "Yara", "Felix", "Nora", "Ivan", "Zoe",
  "Rafael", "Greta", "Daniel", "Elena", "Jonas", "Amara", "Victor", "Julia", "Hugo", "Ines", "Leo", "Maya", "Oscar",
  "Clara", "Samuel", "Anya", "Tariq", "Erin", "Paul", "Rosa", "Finn", "Lucia",
];
// prettier-ignore
const LAST_NAMES = [
  "Doe", "Rivera", "Lee", "Smith", "Garcia", "Müller", "Rossi", "Novak", "Kim", "Patel", "Johnson", "Brown", "Silva",
  "Nakamura", "Dubois", "Schmidt", "Kowalski", "Andersen", "Cohen", "Okafor", "Haddad", "Larsen", "Costa", "Weber",
  "Fischer", "Moreau", "Ivanova", "Chen", "Wang", "Singh", "Murphy", "O'Brien", "Kelly", "Jansen", "Bakker", "Santos",
  "Ferreira", "Horvat", "Nowak", "Lindqvist", "Berg", "Adler", "Vogel", "Keller", "Romero", "Ortiz", "Baker", "Young",
  "King", "Wright", "Hill", "Scott", "Green", "Adams", "Nelson", "Carter", "Mitchell", "Perez", "Roberts", "Turner",
];
// prettier-ignore
const COMPANY_A = [
  "Northwind", "Contoso", "Fabrikam", "Tailspin", "Adatum", "Litware", "Proseware", "Wingtip", "Lucerne", "Woodgrove",
  "Alpine", "Blue Yonder", "Coho", "Fourth Coffee", "Humongous", "Margie", "Nod", "Relecloud", "Southridge", "Trey",
  "Wide World", "Graphic", "Bellows", "Datum", "Lamna", "Fincher", "Vanarsdel", "Tasmanian", "Cronus", "Sunrise",
  "Granite", "Harbor", "Summit", "Juniper", "Cobalt", "Maple", "Orchid", "Pioneer", "Quartz", "Redwood",
];
// prettier-ignore
const COMPANY_B = [
  "", "Labs", "Systems", "Logistics", "Health", "Data", "Cloud", "Analytics", "Foods", "Energy", "Partners", "Studio",
  "Group", "Ventures", "Robotics", "Capital", "Media", "Supply", "Bio", "Motors",
];
const TLDS = ["com", "io", "co", "net"];
// prettier-ignore
const JOB_TITLES = [
  "CEO", "Founder", "Co-Founder", "CTO", "VP Sales", "Head of Growth", "Head of Marketing", "COO", "Sales Director",
  "Marketing Manager", "VP Engineering", "Operations Manager", "Head of Partnerships", "Managing Director",
];
const LOCATIONS = ["Austin", "Berlin", "London", "New York", "Toronto", "Lisbon", "Amsterdam", "Denver", "Madrid", "Sydney"];
// prettier-ignore
const PERSONALIZATIONS = [
  "Saw your post on scaling outbound", "Congrats on the new funding round", "Loved your talk at SaaStr",
  "Noticed you are hiring SDRs", "Your team's growth this year is impressive",
];
// prettier-ignore
const CAMPAIGN_NAMES = [
  "US SaaS founders 11-50", "DACH logistics CTOs", "UK agency owners", "Fintech heads of growth",
  "E-commerce ops leads", "Nordic healthtech", "Series A marketing VPs", "Benelux manufacturing",
  "Canada IT directors", "Spain hospitality groups", "Australia construction", "Webinar follow-up",
];
// prettier-ignore
const ACCOUNT_DOMAINS = [
  "getacme-mail.com", "tryacme-mail.com", "acme-outreach.com", "acmehq-mail.com", "useacme-mail.com", "acme-growth.io",
];
const TIMEZONES = ["America/Detroit", "America/Chicago", "Europe/Berlin", "Europe/London", "America/Los_Angeles"];
const STEP0_SUBJECTS = [
  ["{{firstName}}, quick question", "Idea for {{companyName}}"],
  ["{{companyName}} + Acme", "{{firstName}}, worth a chat?"],
  ["Outbound at {{companyName}}", "Quick idea, {{firstName}}"],
];
const STEP_BODIES = [
  "we help teams like {{companyName}} automate lead follow-up.",
  "bumping this in case it got buried.",
  "last note from me: happy to send a 2-minute video instead.",
];
const REPLIES: Record<string, string[]> = {
  interested: ["Sounds interesting, can you send pricing?", "Yes, tell me more.", "Interesting timing, we are looking at this."],
  meeting: ["Sure, let's talk. Does Thursday 2pm work?", "Happy to chat, here is my calendar link."],
  not_interested: ["Not interested, thanks.", "We already have a solution for this."],
  unsubscribe: ["Please remove me from your list.", "Unsubscribe."],
  neutral: ["Who is this?", "Forwarding to my colleague who handles this.", "Can you send more details?"],
  followup: ["Thanks, that helps. Let me check with the team.", "Great, talk soon."],
};

// Campaign statuses, cycled. The first five are those of one real Nov 2025
// list: active, draft, accounts unhealthy (-1), bounce protect (-2) and
// completed (ref §2.1), so the default 5 campaigns are that list; bigger
// workspaces add paused (2), running subsequences (4) and account suspended
// (-99). 1 or 2 campaigns are all active.
const STATUS_CYCLE = [1, 0, -1, -2, 3, 1, 2, 4, 1, -99, 0, 3];

/**
 * A campaign's custom variable names, as the user named them when uploading
 * its leads: lead payloads, templates and webhooks all use them (real data has
 * `firstName` and `First_name`, `companyName` and `Company_name`).
 */
interface VariableNames {
  firstName: string;
  lastName: string;
  companyName: string;
  jobTitle: string;
  linkedIn: string;
  location: string;
  website: string;
  phone: string;
}
const CAMEL_CASE: VariableNames = {
  firstName: "firstName",
  lastName: "lastName",
  companyName: "companyName",
  jobTitle: "jobTitle",
  linkedIn: "linkedIn",
  location: "location",
  website: "website",
  phone: "phone",
};
const USER_CASE: VariableNames = {
  firstName: "First_name",
  lastName: "Last_name",
  companyName: "Company_name",
  jobTitle: "Job_title",
  linkedIn: "Linkedin_url",
  location: "City",
  website: "Website",
  phone: "Phone",
};

/** The word pools' templates (written with {{firstName}}, {{companyName}}) in a campaign's variable names. */
function withVariables(template: string, names: VariableNames): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => `{{${names[name as keyof VariableNames]}}}`);
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const dayPrefixes = new Map<number, Buffer>();
const DIGITS = 48; // "0"
function writeDecimal(value: number, digits: number, end: number): void {
  for (let i = 1; i <= digits; i++) {
    scratch[end - i] = DIGITS + (value % 10);
    value = Math.floor(value / 10);
  }
}
/** new Date(ms).toISOString(), e.g. "2025-09-12T10:02:21.146Z", without the Date. */
function iso(ms: number): string {
  const day = Math.floor(ms / DAY);
  let prefix = dayPrefixes.get(day);
  if (!prefix) dayPrefixes.set(day, (prefix = Buffer.from(new Date(day * DAY).toISOString().slice(0, 11), "latin1")));
  prefix.copy(scratch, 0);
  let rest = ms - day * DAY;
  const hours = Math.floor(rest / HOUR);
  rest -= hours * HOUR;
  const minutes = Math.floor(rest / MINUTE);
  rest -= minutes * MINUTE;
  writeDecimal(hours, 2, 13);
  scratch[13] = 58; // ":"
  writeDecimal(minutes, 2, 16);
  scratch[16] = 58;
  writeDecimal(Math.floor(rest / 1000), 2, 19);
  scratch[19] = 46; // "."
  writeDecimal(rest % 1000, 3, 23);
  scratch[23] = 90; // "Z"
  return scratch.toString("latin1", 0, 24);
}

// ----------------------------------------------------------- internal state

interface CampaignPlan {
  campaign: FakeCampaign;
  /** The steps it sends (none for a draft). */
  steps: FakeStep[];
  variables: VariableNames;
  createdMs: number;
  /** Sends happen in [sendFrom, sendUntil] on scheduled days and hours. */
  sendFrom: number;
  sendUntil: number;
  days: Set<number>;
  fromMinute: number;
  toMinute: number;
  weight: number;
}

interface Company {
  name: string;
  domain: string;
  website: string;
}

/** Who a lead is, whatever the lead record shows of it. */
interface Person {
  first: string;
  last: string;
  company: Company;
  jobTitle: string;
  linkedIn: string;
  location: string;
  phone: string | undefined;
}

/** What the store needs to continue a lead's thread (addEmails). */
interface LeadState {
  lead: FakeLead;
  person: Person;
  plan: CampaignPlan;
  eaccount: string;
  senderDomain: string;
  senderName: string;
  threadId: string;
  variant: number;
  /** Number of campaign steps sent (0..3). */
  stepsSent: number;
  lastSent: FakeEmail | undefined;
  replied: boolean;
  /** Bounced or unsubscribed: nothing more is sent. */
  stopped: boolean;
  displayName: string;
  googleMx: boolean;
  /** The first step's subject, and "Re: " + it for in-thread follow-ups. */
  subject: string;
  reSubject?: string;
}

type Kind = "sent" | "reply" | "auto" | "manual";
interface Planned {
  email: FakeEmail;
  kind: Kind;
  ms: number;
  step: number;
  bounce?: boolean;
  unsubscribe?: boolean;
}

/** "0_<step>_<variant>" strings, shared instead of built per email. */
const STEP_IDS = [0, 1, 2].map((step) => [0, 1, 2].map((variant) => `0_${step}_${variant}`));

function capitalized(email: string): string {
  // "Jane.Doe@Northwind-Example.com": ~5% of lead emails arrive in mixed case.
  const tld = email.lastIndexOf(".");
  return email.slice(0, tld).replace(/(^|[.@-])([a-z])/g, (_, sep: string, ch: string) => sep + ch.toUpperCase()) + email.slice(tld);
}

const templateParts = new Map<string, string[]>();
/** Replaces the {{variables}} with the lead's payload values (templates are split once, not scanned per email). */
function fill(template: string, lead: FakeLead): string {
  let parts = templateParts.get(template);
  // Odd parts are variable names.
  if (!parts) templateParts.set(template, (parts = template.split(/\{\{(\w+)\}\}/)));
  return flat(...parts.map((part, i) => (i % 2 === 0 ? part : String(lead.payload[part] ?? ""))));
}

export function stripHtml(html: string): string {
  return html
    .replace(/<br>/g, "\n")
    .replace(/<\/div>/g, "\n")
    .replace(/<[^>]+>/g, "")
    .trim();
}

// ------------------------------------------------------------------- store

/** The generated workspace plus the indexes the server reads. */
export class FakeStore {
  data: FakeData;
  campaignById = new Map<string, FakeCampaign>();
  /** Newest first, like data.emails. */
  emailsByCampaign = new Map<string, FakeEmail[]>();
  /** Ascending id, like data.leads. */
  leadsByCampaign = new Map<string, FakeLead[]>();
  engagementsByCampaign = new Map<string, FakeEngagement[]>();

  private rng: Rng;
  private plans = new Map<string, CampaignPlan>();
  private states = new Map<string, LeadState[]>();
  private accountByEmail = new Map<string, FakeAccount>();
  private companies: Company[] = [];
  /** Lower-cased lead emails in use, with the next free number for a local part. */
  private usedEmails = new Map<string, number>();
  /** The campaigns of each person enrolled more than once, by email. */
  private enrolments = new Map<string, string[]>();
  private threadSuffix: string;
  private leadCounter = 0;
  /** Set once the initial data exists: additions then only add emails (no opens/clicks). */
  private generated = false;

  constructor(options: GenerateOptions = {}) {
    const seed = options.seed ?? 1;
    const now = options.now ?? DEFAULT_NOW;
    this.rng = createRng(seed);
    const organization = uuidv4(this.rng);
    // Real thread ids share a workspace-specific tail: "8a-Q2vT9LmX0bKc4RyVFLe5dLE" (ref §2.5).
    this.threadSuffix = token(this.rng, 10);
    this.data = { seed, now, organization, campaigns: [], accounts: [], leads: [], emails: [], engagements: [] };
    this.generate(options.campaigns ?? 5, options.accounts ?? 5, options.emails ?? 300);
    this.generated = true;
  }

  // ------------------------------------------------------------ generation

  private generate(campaignCount: number, accountCount: number, emailCount: number): void {
    const rng = this.rng;
    const nowMs = this.data.now.getTime();
    const userId = uuidv4(rng);
    this.generateAccounts(Math.max(1, accountCount), userId);
    const plans = this.generateCampaigns(Math.max(1, campaignCount), userId);
    const sending = plans.filter((plan) => plan.campaign.status !== 0);
    const totalWeight = sending.reduce((sum, plan) => sum + plan.weight, 0);

    const expectedLeads = Math.max(8, Math.ceil(emailCount / 2.6));
    const companyCount = Math.max(4, Math.ceil(expectedLeads / 3));
    for (let i = 0; i < companyCount; i++) this.companies.push(this.company(i));

    const emails: FakeEmail[] = [];
    const pickPlan = () => {
      let r = rng() * totalWeight;
      for (const plan of sending) if ((r -= plan.weight) < 0) return plan;
      return sending[sending.length - 1]!;
    };

    // Leads one by one, each with its whole thread, until exactly `emailCount` emails exist.
    while (emails.length < emailCount && sending.length > 0) {
      const k = this.leadCounter;
      const plan = pickPlan();
      // The first leads get fixed outcomes so that even a small workspace has
      // every kind of email and webhook (reply, auto reply, meeting, bounce...).
      const forced = k < 6 ? k : -1;
      const span = plan.sendUntil - plan.sendFrom;
      const start =
        forced >= 0
          ? plan.sendFrom + Math.floor(rng() * Math.min(10 * DAY, span / 3))
          : plan.campaign.status === 3
            ? plan.sendFrom + Math.floor(rng() * Math.max(DAY, span - 10 * DAY))
            : plan.sendFrom + Math.floor(rng() * span);
      const duplicateOf = k === 6 || (k > 6 && rng() < 0.01) ? this.personFromOtherCampaign(plan) : undefined;
      const state = this.createLead(plan, start - int(rng, HOUR, 5 * DAY), { mixedCase: k === 2, duplicateOf });
      this.data.leads.push(state.lead);
      const thread = this.planThread(state, start, forced);
      const take = Math.min(thread.length, emailCount - emails.length);
      for (let i = 0; i < take; i++) {
        this.apply(state, thread[i]!);
        emails.push(thread[i]!.email);
      }
    }

    // Leads never emailed, as real workspaces have many: uploaded to a draft,
    // queued in an active campaign, left when a campaign stopped sending, or
    // skipped (status -3) by one that completed.
    for (const plan of plans) {
      const status = plan.campaign.status;
      const existing = this.states.get(plan.campaign.id)?.length ?? 0;
      const share = status === 1 ? 0.4 : status === 3 ? 0.03 : status === 4 ? 0.05 : 0.25;
      const waiting = status === 0 ? int(rng, 4, 12) : Math.max(1, Math.round(existing * share));
      const latest = Math.min(nowMs - MINUTE, status === 0 || status === 1 ? nowMs : plan.sendUntil);
      for (let i = 0; i < waiting; i++) {
        const created = plan.createdMs + Math.floor(rng() * Math.max(HOUR, latest - plan.createdMs));
        const lead = this.createLead(plan, created, {}).lead;
        if (status === 3) {
          lead.status = -3;
          lead.verification_status = pick(rng, [-1, -2]);
        }
        this.data.leads.push(lead);
      }
    }

    // Newest first: UUIDv7 ids sort like their creation times.
    this.data.emails = sortByTime(
      emails,
      (email) => uuidv7Ms(email.id),
      (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    ).reverse();
    for (const email of this.data.emails) {
      if (email.campaign_id) this.emailsByCampaign.get(email.campaign_id)!.push(email);
    }
    this.data.leads = sortByTime(
      this.data.leads,
      (lead) => uuidv7Ms(lead.id),
      (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    for (const lead of this.data.leads) this.leadsByCampaign.get(lead.campaign)!.push(lead);
    this.data.engagements = sortByTime(
      this.data.engagements,
      (engagement) => Date.parse(engagement.timestamp),
      () => 0,
    );
    for (const engagement of this.data.engagements) this.engagementsByCampaign.get(engagement.campaign_id)!.push(engagement);
  }

  private generateAccounts(count: number, userId: string): void {
    const rng = this.rng;
    const nowMs = this.data.now.getTime();
    const used = new Set<string>();
    const accounts: FakeAccount[] = [];
    for (let i = 0; i < count; i++) {
      const first = pick(rng, FIRST_NAMES);
      const last = pick(rng, LAST_NAMES);
      const domain = ACCOUNT_DOMAINS[i % ACCOUNT_DOMAINS.length]!;
      const local = first.toLowerCase();
      let email = `${local}@${domain}`;
      for (let n = 2; used.has(email); n++) email = `${local}${n}@${domain}`;
      used.add(email);
      const created = nowMs - int(rng, 100 * DAY, 220 * DAY) - int(rng, 0, 999);
      const provider = rng() < 0.6 ? 2 : rng() < 0.6 ? 3 : 1;
      const account: FakeAccount = {
        email,
        timestamp_created: iso(created),
        timestamp_updated: iso(created + int(rng, MINUTE, 30 * DAY)),
        first_name: first,
        last_name: last,
        organization: this.data.organization,
        warmup_status: i % 9 === 4 ? 0 : 1,
        provider_code: provider,
        setup_pending: false,
        is_managed_account: false,
        status: 1,
        sending_gap: 10,
      };
      // The list's `warmup` varies: sometimes the full object with percentage rates, sometimes just {limit} (ref §2.4).
      account.warmup =
        i % 2 === 0
          ? {
              limit: 10 + (i % 4) * 5,
              advanced: {
                warm_ctd: true,
                open_rate: 100,
                important_rate: 100,
                read_emulation: true,
                spam_save_rate: 100,
                weekday_only: true,
              },
            }
          : { limit: 10 + (i % 4) * 5 };
      account.added_by = userId;
      account.modified_by = userId;
      account.daily_limit = pick(rng, [30, 40, 45, 50]);
      if (i % 3 === 0) {
        account.tracking_domain_name = `inst.${domain}`;
        account.tracking_domain_status = "CTD_ACTIVE";
      }
      account.status = i % 11 === 7 ? 2 : 1;
      account.enable_slow_ramp = i % 5 === 0;
      account.timestamp_warmup_start = iso(created + int(rng, MINUTE, HOUR));
      // Mostly 100, sometimes lower and fractional ("store it as numeric, not integer").
      account.stat_warmup_score = i % 4 === 1 ? pick(rng, [87, 92.5, 96.4, 78]) : 100;
      if (i === 1) {
        // One mailbox in "Sending Error" with the SMTP reply that caused it (ref §2.4 example).
        account.status = -3;
        account.status_message = {
          code: "EENVELOPE",
          command: "DATA",
          responseCode: 450,
          response: "450 4.1.2 <x@deaddomain.example>: Recipient address rejected: Domain not found",
          e_message: "error: data command failed: 450 4.1.2 <x@deaddomain.example>: Recipient address rejected: Domain not found",
        };
      }
      accounts.push(account);
      this.accountByEmail.set(email, account);
    }
    // "Accounts come sorted by timestamp_created desc by default" (ref §2.4).
    accounts.sort(compareAccounts);
    this.data.accounts = accounts;
  }

  private generateCampaigns(count: number, userId: string): CampaignPlan[] {
    const rng = this.rng;
    const nowMs = this.data.now.getTime();
    const accounts = this.data.accounts.map((account) => account.email);
    const statuses = Array.from({ length: count }, (_, i) => (count <= 2 ? 1 : STATUS_CYCLE[i % STATUS_CYCLE.length]!));
    const sendingIndexes = statuses.flatMap((status, i) => (status === 0 ? [] : [i]));
    const emailLists: string[][] = statuses.map(() => []);
    // Every mailbox sends for some campaign; each sending campaign has at least one.
    accounts.forEach((email, i) => emailLists[sendingIndexes[i % sendingIndexes.length]!]!.push(email));
    sendingIndexes.forEach((campaignIndex, i) => {
      const list = emailLists[campaignIndex]!;
      if (list.length === 0) list.push(accounts[i % accounts.length]!);
    });
    const tags = [uuidv4(rng), uuidv4(rng), uuidv4(rng)];
    const plans: CampaignPlan[] = [];
    let drafts = 0;
    for (let i = 0; i < count; i++) {
      const status = statuses[i]!;
      const draft = status === 0;
      const created = draft ? nowMs - int(rng, DAY, 20 * DAY) : nowMs - int(rng, 60 * DAY, 88 * DAY);
      const createdMs = created - int(rng, 0, 999);
      const sendFrom = createdMs + int(rng, HOUR, 2 * DAY);
      // When sending stopped: never for an active one; paused, unhealthy
      // accounts, bounce protect or a suspended account stopped it recently.
      const sendUntil =
        status === 1
          ? nowMs
          : status === 3
            ? nowMs - int(rng, 15 * DAY, 30 * DAY)
            : status === 4
              ? nowMs - int(rng, 5 * DAY, 15 * DAY)
              : status === 2 || status === -99
                ? nowMs - int(rng, 3 * DAY, 12 * DAY)
                : nowMs - int(rng, DAY, 3 * DAY);
      const from = pick(rng, [8, 9]);
      const to = from + 9;
      const days: Record<string, boolean> = { "1": true, "2": true, "3": true, "4": true, "5": true };
      if (i % 4 === 3) days["6"] = true;
      const baseName = CAMPAIGN_NAMES[i % CAMPAIGN_NAMES.length]!;
      const round = Math.floor(i / CAMPAIGN_NAMES.length);
      // "Real names can have trailing spaces" (ref §2.1).
      const name = (round > 0 ? `${baseName} #${round + 1}` : baseName) + (i % 3 === 0 ? " " : "");
      // Leads uploaded with camelCase variables or in the user's own casing, in pairs of campaigns.
      const variables = Math.floor(i / 2) % 2 === 0 ? CAMEL_CASE : USER_CASE;
      const subjects = STEP0_SUBJECTS[i % STEP0_SUBJECTS.length]!.map((subject) => withVariables(subject, variables));
      const body = (step: number) => withVariables(`<div>Hi {{firstName}},</div><div>${STEP_BODIES[step]}</div>`, variables);
      // Half the campaigns say delay_unit "days", the others leave it out (the real example has none).
      const steps: FakeStep[] = [0, 1, 2].map((step) => ({
        type: "email" as const,
        delay: step === 0 ? int(rng, 2, 4) : step === 1 ? int(rng, 3, 5) : 0,
        ...(i % 2 === 0 ? { delay_unit: "days" as const } : {}),
        variants:
          step === 0
            ? (i % 2 === 0 ? subjects : subjects.slice(0, 1)).map((subject) => ({ subject, body: body(0) }))
            : // Follow-ups with an empty subject go out in the same thread as "Re: <first subject>".
              [{ subject: step === 1 && i % 2 === 1 ? "following up" : "", body: body(step) }],
      }));
      // Drafts as left half-written: every second one has neither sequences
      // nor schedule dates, the others one step without a delay_unit and null dates.
      const bareDraft = draft && drafts++ % 2 === 0;
      const draftSteps: FakeStep[] = [{ type: "email", delay: 2, variants: [{ subject: subjects[0]!, body: body(0) }] }];
      const updated = draft
        ? createdMs + int(rng, MINUTE, DAY)
        : status === 1
          ? Math.min(nowMs - HOUR, createdMs + int(rng, DAY, 40 * DAY))
          : sendUntil + int(rng, MINUTE, HOUR);
      const campaign: FakeCampaign = {
        id: uuidv4(rng),
        name,
        status,
        campaign_schedule: {
          schedules: [
            {
              name: "New schedule",
              timing: { from: `${String(from).padStart(2, "0")}:00`, to: `${to}:00` },
              days,
              timezone: pick(rng, TIMEZONES),
            },
          ],
          // "start_date: ... real: often """ (ref §2.1); a third of the sending campaigns have a start day.
          ...(bareDraft
            ? {}
            : draft
              ? { start_date: null, end_date: null }
              : { start_date: i % 3 === 2 ? iso(sendFrom).slice(0, 10) : "", end_date: "" }),
        },
        timestamp_created: iso(createdMs),
        timestamp_updated: iso(updated),
        is_evergreen: false,
        ...(bareDraft ? {} : { sequences: [{ steps: draft ? draftSteps : steps }] }),
        text_only: i % 3 === 1,
        first_email_text_only: false,
        email_list: emailLists[i]!,
        email_tag_list: i % 2 === 0 ? [tags[i % 3]!] : [],
        daily_limit: pick(rng, [50, 100, 200, 500]),
        email_gap: 10,
        random_wait_max: 10,
        stop_on_reply: true,
        link_tracking: i % 3 !== 2,
        open_tracking: i % 4 !== 3,
        stop_on_auto_reply: false,
        prioritize_new_leads: false,
        match_lead_esp: i % 5 === 0,
        stop_for_company: i % 4 === 0,
        insert_unsubscribe_header: true,
        allow_risky_contacts: false,
        disable_bounce_protect: false,
        cc_list: [],
        bcc_list: [],
        organization: this.data.organization,
        owned_by: userId,
        provider_routing_rules: [],
      };
      if (i % 4 !== 2) campaign.pl_value = pick(rng, [100, 250, 500]);
      if (i % 3 === 0) campaign.daily_max_leads = 50;
      if (status === 1 && i % 5 === 1) campaign.not_sending_status = 1;
      if (i % 2 === 0) campaign.auto_variant_select = { trigger: "reply_rate" };
      this.data.campaigns.push(campaign);
      this.campaignById.set(campaign.id, campaign);
      this.emailsByCampaign.set(campaign.id, []);
      this.leadsByCampaign.set(campaign.id, []);
      this.engagementsByCampaign.set(campaign.id, []);
      this.states.set(campaign.id, []);
      const plan: CampaignPlan = {
        campaign,
        steps: draft ? [] : steps,
        variables,
        createdMs,
        sendFrom,
        sendUntil,
        days: new Set(Object.keys(days).map(Number)),
        fromMinute: from * 60,
        toMinute: to * 60,
        weight: 0.5 + rng(),
      };
      this.plans.set(campaign.id, plan);
      plans.push(plan);
    }
    // GET /campaigns pages by "the id of the last item": list in id order.
    this.data.campaigns.sort((a, b) => (a.id < b.id ? -1 : 1));
    return plans;
  }

  private company(i: number): Company {
    const a = COMPANY_A[i % COMPANY_A.length]!;
    const b = COMPANY_B[Math.floor(i / COMPANY_A.length) % COMPANY_B.length]!;
    const tld = TLDS[Math.floor(i / (COMPANY_A.length * COMPANY_B.length)) % TLDS.length]!;
    const round = Math.floor(i / (COMPANY_A.length * COMPANY_B.length * TLDS.length));
    const name = b ? `${a} ${b}` : a;
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "");
    const domain = `${slug}${round > 0 ? round + 1 : ""}-example.${tld}`;
    return { name, domain, website: `https://${domain}` };
  }

  /** A lead of another campaign, to enrol the same person twice ("a few leads in two campaigns"). */
  private personFromOtherCampaign(plan: CampaignPlan): LeadState | undefined {
    for (const [campaignId, states] of this.states) {
      if (campaignId === plan.campaign.id || states.length === 0) continue;
      const candidate = states[Math.floor(this.rng() * states.length)]!;
      const email = candidate.lead.email;
      // Every address is unique but for these copies, so this is the list of the person's campaigns.
      const campaigns = this.enrolments.get(email) ?? [candidate.lead.campaign];
      if (!campaigns.includes(plan.campaign.id)) {
        this.enrolments.set(email, [...campaigns, plan.campaign.id]);
        return candidate;
      }
    }
    return undefined;
  }

  private createLead(
    plan: CampaignPlan,
    createdMs: number,
    options: { mixedCase?: boolean; duplicateOf?: LeadState | undefined },
  ): LeadState {
    const rng = this.rng;
    const campaign = plan.campaign;
    const created = Math.max(createdMs, plan.createdMs + MINUTE);
    let person: Person;
    let email: string;
    const source = options.duplicateOf;
    if (source) {
      person = source.person;
      email = source.lead.email;
    } else {
      const first = pick(rng, FIRST_NAMES);
      const last = pick(rng, LAST_NAMES);
      // Skewed towards the first companies, so that several leads share a company domain.
      const company = this.companies[Math.floor(rng() * rng() * this.companies.length)]!;
      const f = first.toLowerCase();
      const l = last.toLowerCase().replace(/[^a-z]/g, "");
      const style = rng();
      const local = style < 0.6 ? `${f}.${l}` : style < 0.8 ? f : `${f[0]}${l}`;
      email = flat(local, "@", company.domain);
      const n = this.usedEmails.get(email);
      this.usedEmails.set(email, (n ?? 1) + 1);
      if (n !== undefined) {
        email = flat(local, String(n), "@", company.domain);
        this.usedEmails.set(email, 2);
      }
      if (options.mixedCase || rng() < 0.05) email = capitalized(email);
      person = {
        first,
        last,
        company,
        jobTitle: pick(rng, JOB_TITLES),
        linkedIn: flat("http://www.linkedin.com/in/", f, "-", l, "-example"),
        location: pick(rng, LOCATIONS),
        phone: rng() < 0.6 ? `+${15555550000 + int(rng, 0, 9999)}` : undefined,
      };
    }
    // How the lead was added decides what the record shows of the person: an
    // API call that sets the fields fills the top-level ones (with the camelCase
    // variables repeating them, as in the ref §2.6 example); a CSV upload, or an
    // API call with custom variables only, leaves them absent or null and the
    // person is all in `payload`, named as the user named the columns.
    const r = rng();
    const upload = plan.variables === CAMEL_CASE && r < 0.45 ? "fields" : r < 0.8 ? "csv" : "variables";
    const lead: FakeLead = {
      id: uuidv7(created, rng),
      timestamp_created: iso(created),
      timestamp_updated: iso(created),
      organization: this.data.organization,
      campaign: campaign.id,
      status: 1,
      email,
      ...(upload === "fields"
        ? { first_name: person.first, last_name: person.last, company_name: person.company.name, job_title: person.jobTitle }
        : upload === "variables"
          ? { first_name: null, last_name: null, company_name: null }
          : {}),
      company_domain: person.company.domain,
      ...(upload === "fields" ? { website: person.company.website } : {}),
      email_open_count: 0,
      email_reply_count: 0,
      email_click_count: 0,
      payload: {},
      status_summary: {},
      verification_status: rng() < 0.85 ? 1 : pick(rng, [-3, -2, 11]),
      upload_method: upload === "csv" ? "manual" : "api",
      esp_code: rng() < 0.55 ? 1 : rng() < 0.7 ? 2 : 999,
      esg_code: rng() < 0.85 ? 0 : 3,
      list_id: null,
      assigned_to: null,
    };
    if (upload === "fields" && person.phone) lead.phone = person.phone;
    if (upload === "fields" && rng() < 0.5) lead.personalization = pick(rng, PERSONALIZATIONS);
    // Custom variables: scalars only (ref §2.6).
    const names = plan.variables;
    lead.payload = {
      [names.firstName]: person.first,
      [names.lastName]: person.last,
      [names.companyName]: person.company.name,
      [names.jobTitle]: person.jobTitle,
      [names.linkedIn]: person.linkedIn,
      [names.location]: person.location,
    };
    if (upload !== "fields") {
      lead.payload[names.website] = person.company.website;
      if (person.phone) lead.payload[names.phone] = person.phone;
    }
    const eaccount = pick(rng, campaign.email_list.length > 0 ? campaign.email_list : this.data.accounts.map((a) => a.email));
    const account = this.accountByEmail.get(eaccount);
    const firstStep = plan.steps[0];
    const state: LeadState = {
      lead,
      person,
      plan,
      eaccount,
      senderName: account ? `${account.first_name} ${account.last_name}` : eaccount,
      threadId: flat("8a-", token(rng, 13), this.threadSuffix),
      senderDomain: eaccount.slice(eaccount.indexOf("@") + 1),
      variant: Math.floor(rng() * (firstStep?.variants.length ?? 1)),
      stepsSent: 0,
      lastSent: undefined,
      replied: false,
      stopped: false,
      displayName: `${person.first} ${person.last}`,
      googleMx: lead.esp_code === 1,
      subject: "",
    };
    if (firstStep) state.subject = fill((firstStep.variants[state.variant] ?? firstStep.variants[0]!).subject, lead);
    this.states.get(campaign.id)!.push(state);
    this.leadCounter++;
    return state;
  }

  /** The next scheduled send time at or after `ms` (weekdays and hours of the campaign schedule, in UTC). */
  private scheduled(plan: CampaignPlan, ms: number): number {
    for (let i = 0; i < 9; i++) {
      const dayStart = ms - (ms % DAY);
      const minute = Math.floor((ms - dayStart) / MINUTE);
      // Day 0 of the Unix epoch was a Thursday (getUTCDay() 4).
      if (plan.days.has((Math.floor(ms / DAY) + 4) % 7)) {
        if (minute >= plan.fromMinute && minute < plan.toMinute) return ms;
        if (minute < plan.fromMinute)
          return dayStart + plan.fromMinute * MINUTE + Math.floor(this.rng() * (plan.toMinute - plan.fromMinute) * MINUTE);
      }
      ms = dayStart + DAY;
    }
    return ms;
  }

  /** A lead's whole thread from `start`, in time order; nothing after `now`. */
  private planThread(state: LeadState, start: number, forced: number): Planned[] {
    const rng = this.rng;
    const nowMs = this.data.now.getTime();
    const plan = state.plan;
    const steps = plan.steps;
    // Outcomes: ~8% reply, ~2% auto reply, ~2% bounce (forced for the first
    // leads); ~10% bounce in a campaign that bounce protect (-2) stopped.
    const bounceRate = plan.campaign.status === -2 ? 0.1 : 0.02;
    const r = rng();
    const outcome =
      forced === 0 || forced === 2 || forced === 4 || forced === 5
        ? "reply"
        : forced === 1
          ? "auto"
          : forced === 3
            ? "bounce"
            : r < 0.08
              ? "reply"
              : r < 0.1
                ? "auto"
                : r < 0.1 + bounceRate
                  ? "bounce"
                  : "none";
    const answered = forced >= 0 ? 0 : rng() < 0.55 ? 0 : rng() < 0.65 ? 1 : 2;
    const out: Planned[] = [];
    let t = start;
    for (let step = 0; step < steps.length; step++) {
      if (step > 0) t += steps[step - 1]!.delay * DAY + int(rng, 0, 6 * HOUR);
      t = this.scheduled(plan, t);
      if (t > plan.sendUntil || t > nowMs) break;
      const ms = rng() < 0.9 ? t - (t % 1000) : t;
      const sent = this.sentEmail(state, step, ms);
      out.push({ email: sent, kind: "sent", ms, step, bounce: outcome === "bounce" });
      if (outcome === "bounce") break;
      if (outcome === "auto" && step === (forced === 1 ? 0 : answered)) {
        const at = ms + int(rng, MINUTE, 30 * MINUTE);
        if (at <= nowMs) out.push(this.replyPlanned(state, sent, step, at, { auto: true }));
      }
      if (outcome === "reply" && step === answered) {
        // Replies stop the sequence ("stop_on_reply").
        this.planReplies(state, sent, step, ms, forced, out);
        break;
      }
    }
    return out.sort((a, b) => a.ms - b.ms);
  }

  private planReplies(state: LeadState, answered: FakeEmail, step: number, sentMs: number, forced: number, out: Planned[]): void {
    const rng = this.rng;
    const nowMs = this.data.now.getTime();
    let at = sentMs + int(rng, 30 * MINUTE, 48 * HOUR);
    if (at > nowMs) return;
    const r = rng();
    // i_status: interested, meeting booked, not interested or absent (ref §2.5).
    const iStatus =
      forced === 0
        ? 1
        : forced === 2
          ? 2
          : forced === 4
            ? -1
            : forced === 5
              ? undefined
              : r < 0.5
                ? 1
                : r < 0.65
                  ? 2
                  : r < 0.85
                    ? -1
                    : undefined;
    const unsubscribe = iStatus === -1 && (forced === 4 || rng() < 0.3);
    const first = this.replyPlanned(state, answered, step, at, { iStatus, unsubscribe });
    out.push(first);
    // Sometimes the sender answers by hand from the Unibox (ue_type 3) and the lead writes back.
    if (forced === 0 || (iStatus !== undefined && iStatus > 0 && rng() < 0.4)) {
      at += int(rng, HOUR, 24 * HOUR);
      if (at > nowMs) return;
      const manual = this.manualEmail(state, at, forced === 0 || rng() < 0.5, first.email);
      out.push({ email: manual, kind: "manual", ms: at, step });
      if (forced === 0 || rng() < 0.3) {
        at += int(rng, 2 * HOUR, 48 * HOUR);
        if (at > nowMs) return;
        out.push(this.replyPlanned(state, manual, step, at, { followup: true, iStatus }));
      }
    }
  }

  // ---------------------------------------------------------------- emails

  private sentEmail(state: LeadState, step: number, ms: number): FakeEmail {
    const lead = state.lead;
    const steps = state.plan.steps;
    const variant = step === 0 ? state.variant : 0;
    const template = steps[step]!.variants[variant] ?? steps[step]!.variants[0]!;
    const subject =
      step === 0 ? state.subject : template.subject ? fill(template.subject, lead) : (state.reSubject ??= flat("Re: ", state.subject));
    const id = uuidv7(ms, this.rng);
    const domain = state.senderDomain;
    const at = iso(ms);
    return {
      id,
      timestamp_created: at,
      timestamp_email: at,
      // Real outbound: "<{id}@{sending-domain}>" (ref §2.5).
      message_id: flat("<", id, "@", domain, ">"),
      subject,
      to_address_email_list: lead.email,
      // "Real outbound campaign emails had only html".
      body: { html: flat(fill(template.body, lead), "<div><br></div><div>", state.senderName, "</div>") },
      organization_id: this.data.organization,
      eaccount: state.eaccount,
      from_address_email: state.eaccount,
      campaign_id: state.plan.campaign.id,
      lead: lead.email,
      ue_type: 1,
      step: STEP_IDS[step]![variant]!,
      is_unread: 0,
      is_focused: 1,
      thread_id: state.threadId,
    };
  }

  private replyPlanned(
    state: LeadState,
    answered: FakeEmail,
    step: number,
    ms: number,
    options: { auto?: boolean; iStatus?: number | undefined; unsubscribe?: boolean; followup?: boolean },
  ): Planned {
    const rng = this.rng;
    const lead = state.lead;
    const nowMs = this.data.now.getTime();
    const created = rng() < 0.7 ? ms - (ms % 1000) : ms;
    const id = uuidv7(created, rng);
    const text = options.auto
      ? `Thank you for your email. I am out of the office until ${iso(created + 7 * DAY).slice(0, 10)} with limited access to email.`
      : pick(
          rng,
          options.followup
            ? REPLIES.followup!
            : options.unsubscribe
              ? REPLIES.unsubscribe!
              : options.iStatus === 1
                ? REPLIES.interested!
                : options.iStatus === 2
                  ? REPLIES.meeting!
                  : options.iStatus === -1
                    ? REPLIES.not_interested!
                    : REPLIES.neutral!,
        );
    const quoted = stripHtml(answered.body.html ?? answered.body.text ?? "");
    const when = new Date(Date.parse(answered.timestamp_email)).toUTCString().slice(0, 22);
    const email: FakeEmail = {
      id,
      timestamp_created: iso(created),
      // The Date header of received mail is a few seconds before Instantly stored it.
      timestamp_email: iso(created - (created % 1000) - int(rng, 1, 20) * 1000),
      message_id: state.googleMx
        ? flat("<CA", token(rng, 24), "@mail.gmail.com>")
        : flat("<", token(rng, 18), "@", lead.company_domain, ">"),
      subject: answered.subject.startsWith("Re: ") ? answered.subject : flat("Re: ", answered.subject),
      to_address_email_list: state.eaccount,
      // Replies carry text and html.
      body: {
        text: flat(
          text,
          "\n\nOn ",
          when,
          ", ",
          state.senderName,
          " (\n",
          state.eaccount,
          ") wrote:\n> ",
          quoted.replace(/\n/g, "\n> "),
          "\n",
        ),
        // The quoted original with its "wrote:" line, the sender's address entity-encoded as mail clients write it.
        html: flat(
          "<div>",
          text,
          "</div><div><br></div><div>On ",
          when,
          ", ",
          state.senderName,
          " &lt;",
          state.eaccount,
          '&gt; wrote:</div><blockquote type="cite">',
          answered.body.html ?? answered.body.text ?? "",
          "</blockquote>\n",
        ),
      },
      organization_id: this.data.organization,
      eaccount: state.eaccount,
      from_address_email: lead.email,
      from_address_json: [{ name: state.displayName, address: lead.email }],
      campaign_id: state.plan.campaign.id,
      lead: lead.email,
      lead_id: lead.id,
      ue_type: 2,
      step: answered.step ?? STEP_IDS[step]![step === 0 ? state.variant : 0]!,
      is_unread: nowMs - created < 5 * DAY || rng() < 0.1 ? 1 : 0,
      is_auto_reply: options.auto ? 1 : 0,
      // Auto replies land in "Others", not the focused inbox.
      is_focused: options.auto ? 0 : 1,
    };
    if (options.auto) {
      if (rng() < 0.5) email.i_status = 0; // Out of Office
    } else {
      if (options.iStatus !== undefined) email.i_status = options.iStatus;
      if (rng() < 0.7) {
        const base = options.iStatus === undefined ? 0.45 : options.iStatus > 0 ? 0.75 : 0.05;
        email.ai_interest_value = Math.round((base + rng() * 0.2) * 100) / 100;
      }
    }
    email.thread_id = state.threadId;
    email.content_preview = text.slice(0, 100);
    return { email, kind: options.auto ? "auto" : "reply", ms: created, step, unsubscribe: options.unsubscribe ?? false };
  }

  /** A manual Unibox email (ue_type 3); Instantly often leaves campaign_id out of those ("null for manual emails"). */
  private manualEmail(state: LeadState, ms: number, withoutCampaign: boolean, inReplyTo: FakeEmail): FakeEmail {
    const rng = this.rng;
    const id = uuidv7(ms, rng);
    const at = iso(ms);
    const domain = state.senderDomain;
    const text = pick(rng, [
      "Thanks for getting back to me! Here are the details you asked for.",
      "Great to hear. I have sent an invite for Thursday.",
    ]);
    const email: FakeEmail = {
      id,
      timestamp_created: at,
      timestamp_email: at,
      message_id: flat("<", id, "@", domain, ">"),
      subject: inReplyTo.subject.startsWith("Re: ") ? inReplyTo.subject : `Re: ${inReplyTo.subject}`,
      to_address_email_list: state.lead.email,
      body: { html: flat("<div>", text, "</div><div><br></div><div>", state.senderName, "</div>") },
      organization_id: this.data.organization,
      eaccount: state.eaccount,
      from_address_email: state.eaccount,
      ...(withoutCampaign ? {} : { campaign_id: state.plan.campaign.id }),
      lead: state.lead.email,
      ue_type: 3,
      is_unread: 0,
      is_focused: 1,
      thread_id: state.threadId,
    };
    if (rng() < 0.3) email.cc_address_email_list = `${state.eaccount.split("@")[0]}.team@${domain}`;
    return email;
  }

  /** Updates the lead (and its opens/clicks) for an email that now exists. */
  private apply(state: LeadState, planned: Planned): void {
    const lead = state.lead;
    const email = planned.email;
    const at = email.timestamp_created;
    const rng = this.rng;
    const nowMs = this.data.now.getTime();
    switch (planned.kind) {
      case "sent": {
        state.stepsSent = planned.step + 1;
        state.lastSent = email;
        const lastStep = lead.status_summary.lastStep;
        if (lastStep) {
          lastStep.stepID = email.step!;
          lastStep.timestamp_executed = at;
        } else {
          lead.status_summary.lastStep = { from: state.eaccount, stepID: email.step!, timestamp_executed: at };
        }
        lead.last_step_from = state.eaccount;
        lead.last_step_id = email.step!;
        lead.last_step_timestamp_executed = at;
        lead.timestamp_last_contact = at;
        lead.timestamp_last_touch = at;
        if (planned.bounce) {
          lead.status = -1;
          state.stopped = true;
        } else if (state.stepsSent >= state.plan.steps.length) {
          lead.status = 3;
        }
        // Opens and clicks of this email (open tracking on), never after `now`.
        const campaign = state.plan.campaign;
        if (!planned.bounce && campaign.open_tracking && !this.generated) {
          const variant = Number(email.step!.slice(-1));
          let openAt = planned.ms;
          for (let n = 0; n < 2 && rng() < (n === 0 ? 0.4 : 0.3); n++) {
            openAt += int(rng, 2 * MINUTE, 30 * HOUR);
            if (openAt > nowMs) break;
            this.engage(state, "open", openAt, planned.step, variant, email.id);
            if (campaign.link_tracking && rng() < 0.1)
              this.engage(state, "click", openAt + int(rng, 5_000, 5 * MINUTE), planned.step, variant, email.id);
          }
        }
        break;
      }
      case "reply":
        state.replied = true;
        lead.email_reply_count++;
        lead.timestamp_last_reply = at;
        lead.timestamp_last_touch = at;
        lead.status = planned.unsubscribe ? -2 : 3;
        if (planned.unsubscribe) state.stopped = true;
        if (email.i_status !== undefined && lead.lt_interest_status !== email.i_status) {
          lead.lt_interest_status = email.i_status;
          lead.timestamp_last_interest_change = at;
        }
        break;
      case "auto":
        if (email.i_status !== undefined && lead.lt_interest_status === undefined) {
          lead.lt_interest_status = email.i_status;
          lead.timestamp_last_interest_change = at;
        }
        break;
      case "manual":
        lead.timestamp_last_contact = at;
        lead.timestamp_last_touch = at;
        break;
    }
    if (at > lead.timestamp_updated) lead.timestamp_updated = at;
  }

  private engage(state: LeadState, type: "open" | "click", ms: number, step: number, variant: number, emailId: string): void {
    if (ms > this.data.now.getTime()) return;
    const lead = state.lead;
    const timestamp = iso(ms);
    this.data.engagements.push({
      type,
      timestamp,
      campaign_id: state.plan.campaign.id,
      lead_id: lead.id,
      lead_email: lead.email,
      eaccount: state.eaccount,
      step,
      variant,
      email_id: emailId,
    });
    if (type === "open") {
      lead.email_open_count++;
      if (!lead.timestamp_last_open || timestamp > lead.timestamp_last_open) lead.timestamp_last_open = timestamp;
    } else {
      lead.email_click_count++;
      if (!lead.timestamp_last_click || timestamp > lead.timestamp_last_click) lead.timestamp_last_click = timestamp;
    }
  }

  // ------------------------------------------------------------ additions

  /**
   * Appends `count` emails newer than every existing one (time moves forward
   * from the newest email, a few seconds to a minute apart): follow-up steps,
   * first steps to queued or new leads, replies and manual answers. Returns
   * them newest first. For incremental-sync tests.
   */
  addEmails(count: number, options: { campaignId?: string } = {}): FakeEmail[] {
    const rng = this.rng;
    let plans: CampaignPlan[];
    if (options.campaignId) {
      const plan = this.plans.get(options.campaignId);
      if (!plan) throw new Error(`unknown campaign ${options.campaignId}`);
      if (plan.campaign.status === 0) throw new Error(`campaign ${options.campaignId} is a draft; drafts send nothing`);
      plans = [plan];
    } else {
      const sending = [...this.plans.values()].filter((plan) => plan.campaign.status !== 0);
      const active = sending.filter((plan) => plan.campaign.status === 1);
      plans = active.length > 0 ? active : sending;
      if (plans.length === 0) throw new Error("no sending campaign: every campaign is a draft");
    }
    const newest = this.data.emails[0];
    let t = Math.max(newest ? Date.parse(newest.timestamp_created) : 0, this.data.now.getTime() - DAY);
    const added: FakeEmail[] = [];
    for (let i = 0; i < count; i++) {
      // Strictly after the previous email, so the new ids sort on top.
      t = t - (t % 1000) + int(rng, 1, 60) * 1000 + (rng() < 0.1 ? int(rng, 1, 999) : 0);
      const plan = plans[Math.floor(rng() * plans.length)]!;
      const states = this.states.get(plan.campaign.id)!;
      const r = rng();
      let planned: Planned | undefined;
      let state: LeadState | undefined;
      if (r < 0.15) {
        state = this.randomState(states, (s) => s.stepsSent > 0 && !s.replied && !s.stopped);
        if (state) {
          const iStatus = rng() < 0.5 ? 1 : rng() < 0.5 ? -1 : undefined;
          planned = this.replyPlanned(state, state.lastSent!, state.stepsSent - 1, t, { iStatus });
        }
      } else if (r < 0.2) {
        state = this.randomState(states, (s) => s.replied && !s.stopped);
        if (state) {
          // Emails added for one campaign all carry its campaign_id.
          const manual = this.manualEmail(state, t, !options.campaignId && rng() < 0.5, state.lastSent!);
          planned = { email: manual, kind: "manual", ms: t, step: state.stepsSent - 1 };
        }
      }
      if (!planned) {
        const steps = plan.steps.length;
        state = this.randomState(states, (s) => s.stepsSent < steps && !s.replied && !s.stopped);
        if (!state) {
          state = this.createLead(plan, t - int(rng, MINUTE, 2 * HOUR), {});
          this.insertLead(state.lead);
        }
        const sent = this.sentEmail(state, state.stepsSent, t);
        planned = { email: sent, kind: "sent", ms: t, step: state.stepsSent };
      }
      this.apply(state!, planned);
      added.push(planned.email);
    }
    added.reverse();
    this.data.emails = added.concat(this.data.emails);
    for (const [campaignId, list] of this.emailsByCampaign) {
      const mine = added.filter((email) => email.campaign_id === campaignId);
      if (mine.length > 0) this.emailsByCampaign.set(campaignId, mine.concat(list));
    }
    return added;
  }

  private randomState(states: LeadState[], accept: (state: LeadState) => boolean): LeadState | undefined {
    // A few random probes, then a scan from a random start: cheap for big campaigns, complete for small ones.
    for (let i = 0; i < 8 && states.length > 0; i++) {
      const state = states[Math.floor(this.rng() * states.length)]!;
      if (accept(state)) return state;
    }
    const offset = Math.floor(this.rng() * states.length);
    for (let i = 0; i < states.length; i++) {
      const state = states[(offset + i) % states.length]!;
      if (accept(state)) return state;
    }
    return undefined;
  }

  private insertLead(lead: FakeLead): void {
    // Keep both lists in id order (POST /leads/list pages by ascending id).
    insertSorted(this.data.leads, lead);
    insertSorted(this.leadsByCampaign.get(lead.campaign)!, lead);
  }
}

/**
 * Sorts by a time in ms (ascending), ties by `compare`: a bucket sort, several
 * times faster than Array.prototype.sort with string comparisons at 200k items.
 */
function sortByTime<T>(items: T[], timeOf: (item: T) => number, compare: (a: T, b: T) => number): T[] {
  const n = items.length;
  if (n < 2) return items.slice();
  const times = new Float64Array(n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const time = timeOf(items[i]!);
    times[i] = time;
    if (time < min) min = time;
    if (time > max) max = time;
  }
  const buckets = n;
  const width = (max - min + 1) / buckets;
  const bucketOf = (i: number) => Math.min(buckets - 1, Math.floor((times[i]! - min) / width));
  const starts = new Uint32Array(buckets + 1);
  for (let i = 0; i < n; i++) starts[bucketOf(i) + 1]!++;
  for (let b = 0; b < buckets; b++) starts[b + 1]! += starts[b]!;
  const next = starts.slice(0, buckets);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[next[bucketOf(i)]!++] = i;
  // Within a bucket (a handful of items): insertion sort by time, then `compare`.
  const before = (a: number, b: number) => times[a]! < times[b]! || (times[a] === times[b] && compare(items[a]!, items[b]!) < 0);
  for (let b = 0; b < buckets; b++) {
    for (let i = starts[b]! + 1; i < starts[b + 1]!; i++) {
      const current = order[i]!;
      let j = i - 1;
      while (j >= starts[b]! && before(current, order[j]!)) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = current;
    }
  }
  const sorted = new Array<T>(n);
  for (let i = 0; i < n; i++) sorted[i] = items[order[i]!]!;
  return sorted;
}

function insertSorted(leads: FakeLead[], lead: FakeLead): void {
  let lo = 0;
  let hi = leads.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (leads[mid]!.id < lead.id) lo = mid + 1;
    else hi = mid;
  }
  leads.splice(lo, 0, lead);
}

/** GET /accounts order: timestamp_created desc, then email (the cursor is "timestamp_created&email"). */
export function compareAccounts(a: FakeAccount, b: FakeAccount): number {
  if (a.timestamp_created !== b.timestamp_created) return a.timestamp_created < b.timestamp_created ? 1 : -1;
  return a.email < b.email ? -1 : a.email > b.email ? 1 : 0;
}
