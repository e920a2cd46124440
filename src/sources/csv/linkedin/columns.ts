// LinkedIn activity exports (HeyReach, Expandi, lemlist, PhantomBuster,
// Dripify, ...): which header holds which part of a touch, which words name
// which event, and whether a file is such an export at all. Headers are
// compared as the leads import compares them (canonical(): case, spaces and
// punctuation ignored), so "linkedInUrl", "LinkedIn URL" and "linkedin_url"
// are one column. docs/sources/linkedin.md lists them per tool.
import { canonical } from "../columns.ts";

export const LINKEDIN_FIELDS = {
  profile_url: [
    "profile url",
    "linkedin profile url",
    "linkedinProfileUrl",
    "linkedin url",
    "linkedInUrl",
    "person linkedin url",
    "profile_link",
    "profile link",
    "lead profile url",
    "leadProfileUrl",
    "linkedin profile",
    "linkedin",
    "profileUrl",
    "lead linkedin url",
    "contact linkedin url",
    "linkedin_url",
    "url",
  ],
  email: ["email", "email address", "emailAddress", "lead email", "leadEmail", "work email", "contact email"],
  first_name: ["first name", "firstName", "lead first name", "leadFirstName", "contact first name"],
  last_name: ["last name", "lastName", "lead last name", "leadLastName", "contact last name"],
  full_name: ["full name", "fullName", "name", "lead name", "contact name", "lead full name"],
  company: ["company", "company name", "companyName", "lead company name", "leadCompanyName", "current company", "organization"],
  event: [
    "event type",
    "eventType",
    "event",
    "hook event",
    "activity type",
    "activity",
    "action",
    "action type",
    "type",
    "status",
    "lead status",
    "connection status",
    "leadConnectionStatus",
    "step",
  ],
  timestamp: [
    "timestamp",
    "event timestamp",
    "fired_datetime",
    "fired datetime",
    "createdAt",
    "created at",
    "date",
    "datetime",
    "event date",
    "event time",
    "time",
    "activity date",
    "action date",
    "happened at",
    "sent at",
    "lastActionTime",
    "last action time",
  ],
  message: ["message", "message text", "messageText", "message body", "body", "text", "content", "reply", "reply text", "lastMessageText"],
  campaign: ["campaign", "campaign name", "campaignName", "sequence", "sequence name", "campaign_instance", "campaign instance"],
  sender: [
    "sender",
    "sender account",
    "sender name",
    "linkedInSenderFullName",
    "linkedin sender",
    "linkedin account",
    "li_account",
    "li account",
    "account",
    "sendUserName",
  ],
} as const;

export type LinkedinField = keyof typeof LINKEDIN_FIELDS;

/**
 * Event words -> event type, by canonical form ("Connection request sent",
 * CONNECTION_REQUEST_SENT and connection-request-sent are one word). The
 * tools' own names (HeyReach's event types, lemlist's activity types,
 * Expandi's webhook events) and the words their CSV exports and people use.
 */
const EVENT_WORDS: Record<string, readonly string[]> = {
  connection_sent: [
    "CONNECTION_REQUEST_SENT",
    "connection request sent",
    "connection sent",
    "connection requested",
    "invite sent",
    "invitation sent",
    "invited",
    "linkedinInviteDone",
    "linked_in_messenger.requested",
    "requested",
    "pending",
    "connect",
    "send connection request",
  ],
  connection_accepted: [
    "CONNECTION_REQUEST_ACCEPTED",
    "connection accepted",
    "connection request accepted",
    "invite accepted",
    "invitation accepted",
    "accepted",
    "connected",
    "linkedinInviteAccepted",
    "linked_in_messenger.campaign_new_contact",
    "campaign_new_contact",
    "new connection",
  ],
  message_sent: [
    "MESSAGE_SENT",
    "message sent",
    "sent message",
    "message",
    "follow up sent",
    "follow-up sent",
    "followup sent",
    "linkedinSent",
    "linked_in_messenger.message_sent",
    "messaged",
  ],
  message_replied: [
    "MESSAGE_REPLY_RECEIVED",
    "EVERY_MESSAGE_REPLY_RECEIVED",
    "message reply received",
    "reply received",
    "replied",
    "reply",
    "message replied",
    "linkedinReplied",
    "linkedinInterested",
    "linked_in_messenger.replied",
    "linked_in_messenger.contact_replied",
    "contact_replied",
  ],
  inmail_sent: ["INMAIL_SENT", "inmail sent", "inmail", "sent inmail", "linked_in_messenger.inmail_sent"],
  inmail_replied: ["INMAIL_REPLY_RECEIVED", "inmail reply received", "inmail replied", "inmail reply"],
  profile_viewed: [
    "VIEWED_PROFILE",
    "profile viewed",
    "profile view",
    "viewed profile",
    "visit",
    "visited",
    "profile visited",
    "linkedinVisitDone",
    "linked_in_messenger.profile_visited",
  ],
};

export const LINKEDIN_EVENT_TYPES = Object.keys(EVENT_WORDS);

/** canonical(word) -> event type, for the normaliser (SQL compares the same canonical form). */
export const EVENT_WORD_MAP: Record<string, string> = Object.fromEntries(
  Object.entries(EVENT_WORDS).flatMap(([type, words]) => words.map((word) => [canonical(word), type])),
);

export interface LinkedinMapping {
  /** For each field, the header that holds it in this file (absent when none does). */
  fields: Partial<Record<LinkedinField, string>>;
}

export function mapLinkedinColumns(headers: readonly string[]): LinkedinMapping {
  const byCanonical = new Map<string, string>();
  for (const header of headers) if (!byCanonical.has(canonical(header))) byCanonical.set(canonical(header), header);
  const fields: Partial<Record<LinkedinField, string>> = {};
  for (const [field, candidates] of Object.entries(LINKEDIN_FIELDS) as Array<[LinkedinField, readonly string[]]>) {
    const header = candidates.map((c) => byCanonical.get(canonical(c))).find((h) => h !== undefined);
    if (header !== undefined) fields[field] = header;
  }
  return { fields };
}

/** Why a file cannot give LinkedIn touches, or undefined when it can. */
export function missingLinkedinColumns(fields: LinkedinMapping["fields"]): string | undefined {
  const missing: string[] = [];
  if (!fields.profile_url && !fields.email)
    missing.push("a LinkedIn profile URL (Profile URL, LinkedIn URL, linkedInUrl, profile_link, ...) or an email");
  if (!fields.event) missing.push("an event or status (Event Type, eventType, Type, Action, Status, ...)");
  if (!fields.timestamp) missing.push("a timestamp (Timestamp, createdAt, fired_datetime, Date, ...)");
  if (!missing.length) return undefined;
  return `Not a LinkedIn activity export: no column for ${missing.join(", nor ")}. Header names are matched in any case or spacing; see docs/sources/linkedin.md.`;
}

/** Headers only LinkedIn tools' exports have (HeyReach, Expandi). */
const TOOL_HEADERS = [
  "linkedInSenderFullName",
  "linkedInSenderId",
  "leadConnectionStatus",
  "leadMessageStatus",
  "hook event",
  "fired_datetime",
  "profile_link",
  "profile_link_public_identifier",
  "li_account",
].map(canonical);

/** Profile URL headers that say LinkedIn (a bare "URL" column does not). */
const LINKEDIN_URL_HEADERS = LINKEDIN_FIELDS.profile_url.filter((h) => !["url", "profileUrl", "profile url"].includes(h)).map(canonical);

export type ImportKind = "leads" | "linkedin";
export const IMPORT_KINDS: readonly ImportKind[] = ["leads", "linkedin"];

export interface DetectedKind {
  kind: ImportKind;
  /** Why, in words, for the CLI and the HTTP answer. */
  reason: string;
}

/**
 * The kind of a file from its header: LinkedIn activity when it has a
 * LinkedIn profile URL column and an event/status/action column (an Apollo
 * export has the URL but no event), or a header only the tools export;
 * otherwise leads.
 */
export function detectImportKind(headers: readonly string[]): DetectedKind {
  const byCanonical = new Map(headers.map((h) => [canonical(h), h] as const));
  const tool = TOOL_HEADERS.map((h) => byCanonical.get(h)).find((h) => h !== undefined);
  if (tool) return { kind: "linkedin", reason: `detected: the column "${tool}" is a LinkedIn outreach tool's` };
  const { fields } = mapLinkedinColumns(headers);
  const url = LINKEDIN_URL_HEADERS.map((h) => byCanonical.get(h)).find((h) => h !== undefined) ?? fields.profile_url;
  const urlSaysLinkedin = url !== undefined && (/linked\s*in/i.test(url) || /profile/i.test(url));
  if (urlSaysLinkedin && fields.event) {
    return {
      kind: "linkedin",
      reason: `detected: a LinkedIn profile column ("${url}") and an event column ("${fields.event}")`,
    };
  }
  return { kind: "leads", reason: "detected: no LinkedIn profile and event columns together" };
}
