// Webhook payloads as Instantly delivers them (docs/sources/instantly-api.md §3.3), built from the fake's
// generated data, and a delivery helper that POSTs them like Instantly does.
//
// Quirks modelled: step/variant are 1-BASED here (unlike "0_0_0" in /emails),
// sent as numbers in some deliveries and as strings ("2") in others, as real
// ones were; lead data is merged in as extra top-level keys (email, the
// top-level names as firstName/lastName/companyName, and the custom variables
// in the user's casing, e.g. First_name, Company_name); event_type values are
// those seen in payloads, not the subscription enum: "link_clicked" (not
// email_link_clicked), "auto_reply_received", and a custom label arrives as its
// raw label string. There is no event id and no signature.
import type { FakeCampaign, FakeData, FakeEmail, FakeEngagement, FakeLead } from "./data.ts";
import { stripHtml } from "./data.ts";

export interface WebhookPayloadOptions {
  /** Only events of this campaign (default: every campaign). */
  campaignId?: string;
  /** At most this many payloads per event type, the newest ones (default 1). */
  perType?: number;
  /** The custom label delivered as an event_type (default "Follow up in Q3"). */
  customLabel?: string;
}

type Payload = Record<string, unknown>;

const SECOND = 1000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A 32-bit FNV-1a hash: a stable choice per delivery, whatever order the payloads are built in. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** 1-based step and variant, as numbers or, for about half the deliveries (chosen by `key`), as strings. */
function stepFields(step: number, variant: number, key: string): { step: number | string; variant: number | string } {
  return hash(key) % 2 === 1 ? { step: String(step), variant: String(variant) } : { step, variant };
}

/** "0_1_0" -> { step: 2, variant: 1 }: webhooks count from 1. */
function stepNumbers(step: string | undefined, key: string): { step?: number | string; variant?: number | string } {
  const parts = step?.split("_");
  if (!parts || parts.length !== 3) return {};
  return stepFields(Number(parts[1]) + 1, Number(parts[2]) + 1, key);
}

/** Lead data merged into the payload as top-level keys: the lead's own fields camelCased, then its custom variables as named. */
function leadFields(lead: FakeLead | undefined): Payload {
  if (!lead) return {};
  return {
    email: lead.email,
    ...(lead.first_name ? { firstName: lead.first_name } : {}),
    ...(lead.last_name ? { lastName: lead.last_name } : {}),
    ...(lead.company_name ? { companyName: lead.company_name } : {}),
    ...lead.payload,
    ...(lead.personalization ? { personalization: lead.personalization } : {}),
    ...(lead.phone ? { phone: lead.phone } : {}),
    ...(lead.website ? { website: lead.website } : {}),
  };
}

/**
 * A sensible set of payloads from the generated data, oldest first: email_sent
 * (email_id = the email's id, timestamp = its timestamp_email), reply_received
 * and auto_reply_received (email_id = the reply's id, timestamp = its
 * timestamp_created), email_opened, link_clicked, email_bounced,
 * lead_unsubscribed, lead_interested, lead_not_interested, lead_meeting_booked,
 * a custom label, campaign_completed. Event types with nothing to report in the
 * data are left out.
 */
export function webhookPayloadsFor(fake: FakeData, options: WebhookPayloadOptions = {}): object[] {
  const perType = options.perType ?? 1;
  const workspace = fake.organization;
  const campaigns = new Map(fake.campaigns.map((campaign) => [campaign.id, campaign]));
  const wanted = (campaignId: string | undefined) =>
    campaignId !== undefined && (options.campaignId === undefined || campaignId === options.campaignId);
  const leadsByKey = new Map<string, FakeLead>();
  for (const lead of fake.leads) leadsByKey.set(`${lead.campaign}|${lead.email.toLowerCase()}`, lead);
  const leadOf = (campaignId: string, email: string | undefined) =>
    email ? leadsByKey.get(`${campaignId}|${email.toLowerCase()}`) : undefined;
  const base = (campaign: FakeCampaign, timestamp: string, eventType: string): Payload => ({
    timestamp,
    event_type: eventType,
    workspace,
    campaign_id: campaign.id,
    campaign_name: campaign.name,
  });

  const payloads: Payload[] = [];
  const counts = new Map<string, number>();
  const add = (eventType: string, payload: () => Payload) => {
    const n = counts.get(eventType) ?? 0;
    if (n >= perType) return;
    counts.set(eventType, n + 1);
    payloads.push(payload());
  };

  // Emails, newest first.
  for (const email of fake.emails) {
    if (!wanted(email.campaign_id)) continue;
    const campaign = campaigns.get(email.campaign_id!)!;
    const lead = leadOf(campaign.id, email.lead);
    if (email.ue_type === 1) {
      add("email_sent", () => sentPayload(base(campaign, email.timestamp_email, "email_sent"), email, lead));
    } else if (email.ue_type === 2) {
      const eventType = email.is_auto_reply === 1 ? "auto_reply_received" : "reply_received";
      add(eventType, () => replyPayload(base(campaign, email.timestamp_created, eventType), email, lead, workspace));
    }
  }

  // Opens and clicks, newest first.
  for (let i = fake.engagements.length - 1; i >= 0; i--) {
    const engagement = fake.engagements[i]!;
    if (!wanted(engagement.campaign_id)) continue;
    const campaign = campaigns.get(engagement.campaign_id)!;
    // "You subscribe to email_link_clicked but the payload says link_clicked" (ref §3.2).
    const eventType = engagement.type === "open" ? "email_opened" : "link_clicked";
    add(eventType, () =>
      engagementPayload(base(campaign, engagement.timestamp, eventType), engagement, leadOf(campaign.id, engagement.lead_email)),
    );
  }

  // Lead status changes, newest first.
  const leads = [...fake.leads]
    .filter((lead) => wanted(lead.campaign))
    .sort((a, b) => (a.timestamp_updated < b.timestamp_updated ? 1 : -1));
  for (const lead of leads) {
    const campaign = campaigns.get(lead.campaign)!;
    const lastStepFrom = lead.last_step_from;
    const common = (timestamp: string, eventType: string): Payload => ({
      ...base(campaign, timestamp, eventType),
      lead_email: lead.email,
      ...(lastStepFrom ? { email_account: lastStepFrom } : {}),
      ...leadFields(lead),
    });
    if (lead.status === -1 && lead.last_step_timestamp_executed) {
      // The bounce notice comes back seconds after the first step went out.
      add("email_bounced", () => ({
        ...common(iso(Date.parse(lead.last_step_timestamp_executed!) + 11 * SECOND + 300), "email_bounced"),
        ...stepFields(1, 1, lead.id),
      }));
    }
    if (lead.status === -2 && lead.timestamp_last_reply) {
      add("lead_unsubscribed", () => common(iso(Date.parse(lead.timestamp_last_reply!) + 2 * SECOND), "lead_unsubscribed"));
    }
    const changed = lead.timestamp_last_interest_change;
    if (changed) {
      const eventType =
        lead.lt_interest_status === 1
          ? "lead_interested"
          : lead.lt_interest_status === 2
            ? "lead_meeting_booked"
            : lead.lt_interest_status === -1
              ? "lead_not_interested"
              : lead.lt_interest_status === 0
                ? "lead_out_of_office"
                : undefined;
      if (eventType) add(eventType, () => common(changed, eventType));
    }
    if (lead.timestamp_last_reply && lead.lt_interest_status === undefined) {
      // A custom label arrives as its raw label string.
      const label = options.customLabel ?? "Follow up in Q3";
      add(label, () => common(iso(Date.parse(lead.timestamp_last_reply!) + 3_600 * SECOND), label));
    }
  }

  for (const campaign of fake.campaigns) {
    if (campaign.status === 3 && wanted(campaign.id)) {
      add("campaign_completed", () => base(campaign, campaign.timestamp_updated, "campaign_completed"));
    }
  }

  return payloads.sort((a, b) =>
    (a.timestamp as string) < (b.timestamp as string) ? -1 : (a.timestamp as string) > (b.timestamp as string) ? 1 : 0,
  );
}

function sentPayload(payload: Payload, email: FakeEmail, lead: FakeLead | undefined): Payload {
  const { step, variant } = stepNumbers(email.step, email.id);
  const html = email.body.html ?? "";
  return {
    ...payload,
    lead_email: email.lead,
    email_account: email.eaccount,
    ...(step !== undefined ? { step, variant, is_first: Number(step) === 1 } : {}),
    email_id: email.id,
    email_subject: email.subject,
    email_text: email.body.text ?? stripHtml(html),
    email_html: html,
    ...leadFields(lead),
  };
}

function replyPayload(payload: Payload, email: FakeEmail, lead: FakeLead | undefined, workspace: string): Payload {
  const { step, variant } = stepNumbers(email.step, email.id);
  const text = email.body.text ?? stripHtml(email.body.html ?? "");
  // "Sounds interesting...\nOn Oct 15, 2025 at 2:48 PM, Alex Rivera (alex@...) wrote:"
  const [answer = "", quoted = ""] = text.split("\n\nOn ");
  const wrote = quoted ? `\nOn ${quoted.slice(0, quoted.indexOf("wrote:") + 6).replace("(\n", "(")}` : "";
  return {
    ...payload,
    ...(email.thread_id
      ? { unibox_url: `https://app.instantly.ai/app/unibox?thread_search=thread:${email.thread_id}&selected_wks=${workspace}` }
      : {}),
    email_account: email.eaccount,
    reply_text_snippet: answer + wrote,
    lead_email: email.lead,
    ...leadFields(lead),
    ...(step !== undefined ? { step, variant } : {}),
    // "email_id = reply_to_uuid usable with POST /emails/reply": the reply's own id.
    email_id: email.id,
    reply_subject: email.subject,
    reply_text: text,
    reply_html: email.body.html ?? "",
  };
}

function engagementPayload(payload: Payload, engagement: FakeEngagement, lead: FakeLead | undefined): Payload {
  return {
    ...payload,
    lead_email: engagement.lead_email,
    email_account: engagement.eaccount,
    ...stepFields(engagement.step + 1, engagement.variant + 1, `${engagement.email_id} ${engagement.timestamp}`),
    is_first: engagement.step === 0,
    ...leadFields(lead),
  };
}

/** POSTs one payload like Instantly: JSON, `user-agent: axios/0.21.4`, plus the webhook's custom headers (its only authentication). */
export async function deliverWebhook(
  targetUrl: string,
  payload: object,
  headers: Record<string, string | undefined> = {},
): Promise<Response> {
  const custom = Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return fetch(targetUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/plain, */*", "user-agent": "axios/0.21.4", ...custom },
    body: JSON.stringify(payload),
  });
}
