// Campaign analytics of the fake server ("ref §x": docs/sources/instantly-api.md), computed from the generated emails,
// opens/clicks and leads, so that the numbers agree with what GET /emails
// returns (sum of daily `sent` = campaign emails with ue_type 1, and so on).
//
// Everything is counted per campaign (a lead's address is unique within its
// campaign, so it is the key for "unique" counts) and then summed: the sum of
// per-campaign unique counts is the number of distinct (campaign, lead) pairs.
import type { FakeCampaign, FakeEmail, FakeEngagement, FakeLead, FakeStore } from "./data.ts";

/** Inclusive bounds as ISO strings (all generated timestamps share one ISO format, so strings compare like times). */
export interface Range {
  from: string;
  to: string;
}
export const ALL_TIME: Range = { from: "", to: "\uffff" };

const inRange = (timestamp: string, range: Range) => timestamp >= range.from && timestamp <= range.to;
/** Opportunity = a lead marked Interested, Meeting booked, Meeting completed or Won. */
const isOpportunity = (lead: FakeLead) =>
  lead.lt_interest_status !== undefined && lead.lt_interest_status >= 1 && lead.lt_interest_status <= 4;
/** The 0-based step of "0_<step>_<variant>". */
const stepOf = (step: string | undefined) => (step ? step.charCodeAt(2) - 48 : 0);

/** Distinct leads, overall and per step. */
class Unique {
  count = 0;
  leads = new Set<string>();
  bySteps: Set<string>[] = [];

  add(lead: string, step: number): void {
    this.count++;
    this.leads.add(lead);
    (this.bySteps[step] ??= new Set()).add(lead);
  }

  get byStep(): number {
    return this.bySteps.reduce((sum, set) => sum + (set?.size ?? 0), 0);
  }
}

class Counters {
  sent = 0;
  /** Leads emailed at all, and leads whose first step went out. */
  emailed = new Set<string>();
  firstSteps = new Set<string>();
  opens = new Unique();
  replies = new Unique();
  autoReplies = new Unique();
  clicks = new Unique();
  opportunities = 0;

  email(email: FakeEmail): void {
    const lead = email.lead ?? "";
    if (email.ue_type === 1) {
      this.sent++;
      this.emailed.add(lead);
      if (stepOf(email.step) === 0) this.firstSteps.add(lead);
    } else if (email.ue_type === 2) {
      // reply_count counts human replies; automatic ones are counted apart (ref §2.2).
      (email.is_auto_reply === 1 ? this.autoReplies : this.replies).add(lead, stepOf(email.step));
    }
  }

  engagement(engagement: FakeEngagement): void {
    (engagement.type === "open" ? this.opens : this.clicks).add(engagement.lead_email, engagement.step);
  }

  totals(): Totals {
    return {
      sent: this.sent,
      emailed: this.emailed.size,
      contacted: this.firstSteps.size,
      opens: this.opens.count,
      uniqueOpens: this.opens.leads.size,
      uniqueOpensByStep: this.opens.byStep,
      replies: this.replies.count,
      uniqueReplies: this.replies.leads.size,
      uniqueRepliesByStep: this.replies.byStep,
      autoReplies: this.autoReplies.count,
      uniqueAutoReplies: this.autoReplies.leads.size,
      uniqueAutoRepliesByStep: this.autoReplies.byStep,
      clicks: this.clicks.count,
      uniqueClicks: this.clicks.leads.size,
      uniqueClicksByStep: this.clicks.byStep,
      opportunities: this.opportunities,
    };
  }
}

type Totals = Record<
  | "sent"
  | "emailed"
  | "contacted"
  | "opens"
  | "uniqueOpens"
  | "uniqueOpensByStep"
  | "replies"
  | "uniqueReplies"
  | "uniqueRepliesByStep"
  | "autoReplies"
  | "uniqueAutoReplies"
  | "uniqueAutoRepliesByStep"
  | "clicks"
  | "uniqueClicks"
  | "uniqueClicksByStep"
  | "opportunities",
  number
>;

function add(total: Totals | undefined, more: Totals): Totals {
  if (!total) return { ...more };
  for (const key of Object.keys(more) as (keyof Totals)[]) total[key] += more[key];
  return total;
}

function campaignTotals(store: FakeStore, campaign: FakeCampaign, range: Range): Totals {
  const c = new Counters();
  for (const email of store.emailsByCampaign.get(campaign.id) ?? []) {
    if (inRange(email.timestamp_created, range)) c.email(email);
  }
  for (const engagement of store.engagementsByCampaign.get(campaign.id) ?? []) {
    if (inRange(engagement.timestamp, range)) c.engagement(engagement);
  }
  return c.totals();
}

function leadCounts(store: FakeStore, campaigns: FakeCampaign[]) {
  const counts = { leads: 0, bounced: 0, unsubscribed: 0, completed: 0, opportunities: 0, value: 0, byInterest: new Map<number, number>() };
  for (const campaign of campaigns) {
    for (const lead of store.leadsByCampaign.get(campaign.id) ?? []) {
      counts.leads++;
      if (lead.status === -1) counts.bounced++;
      else if (lead.status === -2) counts.unsubscribed++;
      else if (lead.status === 3) counts.completed++;
      const interest = lead.lt_interest_status;
      if (interest !== undefined) counts.byInterest.set(interest, (counts.byInterest.get(interest) ?? 0) + 1);
      if (isOpportunity(lead)) {
        counts.opportunities++;
        counts.value += campaign.pl_value ?? 0;
      }
    }
  }
  return counts;
}

/** Whether a campaign has sent anything: "For a campaign that has not sent anything yet, the array is empty" (ref §2.2). */
function hasSent(store: FakeStore, campaign: FakeCampaign): boolean {
  return (store.emailsByCampaign.get(campaign.id) ?? []).some((email) => email.ue_type === 1);
}

/** GET /campaigns/analytics: a bare array, one object per campaign that has sent something. */
export function campaignAnalytics(store: FakeStore, campaignIds: string[] | undefined, range: Range): object[] {
  // The *_unique* and *_automatic* fields were absent in a real Nov 2025
  // response and are in the 2026 spec: every second sending campaign leaves them out.
  const sending = store.data.campaigns.filter((campaign) => hasSent(store, campaign));
  const out: object[] = [];
  for (const campaign of sending) {
    if (campaignIds && !campaignIds.includes(campaign.id)) continue;
    const t = campaignTotals(store, campaign, range);
    const l = leadCounts(store, [campaign]);
    const withOptional = sending.indexOf(campaign) % 2 === 0;
    out.push({
      campaign_name: campaign.name,
      campaign_id: campaign.id,
      campaign_status: campaign.status,
      campaign_is_evergreen: campaign.is_evergreen,
      leads_count: l.leads,
      contacted_count: t.contacted,
      emails_sent_count: t.sent,
      new_leads_contacted_count: t.contacted,
      open_count: t.opens,
      ...(withOptional ? { open_count_unique: t.uniqueOpens, open_count_unique_by_step: t.uniqueOpensByStep } : {}),
      reply_count: t.replies,
      ...(withOptional
        ? {
            reply_count_unique: t.uniqueReplies,
            reply_count_unique_by_step: t.uniqueRepliesByStep,
            reply_count_automatic: t.autoReplies,
            reply_count_automatic_unique: t.uniqueAutoReplies,
            reply_count_automatic_unique_by_step: t.uniqueAutoRepliesByStep,
          }
        : {}),
      link_click_count: t.clicks,
      ...(withOptional ? { link_click_count_unique: t.uniqueClicks, link_click_count_unique_by_step: t.uniqueClicksByStep } : {}),
      bounced_count: l.bounced,
      unsubscribed_count: l.unsubscribed,
      completed_count: l.completed,
      total_opportunities: l.opportunities,
      total_opportunity_value: l.value,
    });
  }
  return out;
}

/** GET /campaigns/analytics/overview: one object, the same counters summed, plus interest totals. */
export function analyticsOverview(store: FakeStore, campaigns: FakeCampaign[], range: Range): object {
  let t: Totals | undefined;
  for (const campaign of campaigns) t = add(t, campaignTotals(store, campaign, range));
  t ??= new Counters().totals();
  const l = leadCounts(store, campaigns);
  return {
    open_count: t.opens,
    open_count_unique: t.uniqueOpens,
    open_count_unique_by_step: t.uniqueOpensByStep,
    link_click_count: t.clicks,
    link_click_count_unique: t.uniqueClicks,
    link_click_count_unique_by_step: t.uniqueClicksByStep,
    reply_count: t.replies,
    reply_count_unique: t.uniqueReplies,
    reply_count_unique_by_step: t.uniqueRepliesByStep,
    reply_count_automatic: t.autoReplies,
    reply_count_automatic_unique: t.uniqueAutoReplies,
    reply_count_automatic_unique_by_step: t.uniqueAutoRepliesByStep,
    bounced_count: l.bounced,
    unsubscribed_count: l.unsubscribed,
    completed_count: l.completed,
    emails_sent_count: t.sent,
    contacted_count: t.contacted,
    new_leads_contacted_count: t.contacted,
    total_opportunities: l.opportunities,
    total_opportunity_value: l.value,
    total_interested: l.byInterest.get(1) ?? 0,
    total_meeting_booked: l.byInterest.get(2) ?? 0,
    total_meeting_completed: l.byInterest.get(3) ?? 0,
    total_closed: l.byInterest.get(4) ?? 0,
  };
}

/**
 * GET /campaigns/analytics/daily: a bare array ascending by date, only days
 * with activity ("Days are sparse"), and NO campaign_id field in the rows.
 * Days are UTC dates of timestamp_created (opens/clicks: their timestamp;
 * opportunities: the lead's timestamp_last_interest_change).
 */
export function dailyAnalytics(store: FakeStore, campaigns: FakeCampaign[], range: Range): object[] {
  const days = new Map<string, Totals>();
  for (const campaign of campaigns) {
    const mine = new Map<string, Counters>();
    const day = (timestamp: string) => {
      const date = timestamp.slice(0, 10);
      let counters = mine.get(date);
      if (!counters) mine.set(date, (counters = new Counters()));
      return counters;
    };
    for (const email of store.emailsByCampaign.get(campaign.id) ?? []) {
      if ((email.ue_type === 1 || email.ue_type === 2) && inRange(email.timestamp_created, range))
        day(email.timestamp_created).email(email);
    }
    for (const engagement of store.engagementsByCampaign.get(campaign.id) ?? []) {
      if (inRange(engagement.timestamp, range)) day(engagement.timestamp).engagement(engagement);
    }
    for (const lead of store.leadsByCampaign.get(campaign.id) ?? []) {
      const changed = lead.timestamp_last_interest_change;
      if (changed && isOpportunity(lead) && inRange(changed, range)) day(changed).opportunities++;
    }
    for (const [date, counters] of mine) days.set(date, add(days.get(date), counters.totals()));
  }
  return [...days.keys()].sort().map((date) => {
    const t = days.get(date)!;
    return {
      date,
      sent: t.sent,
      contacted: t.emailed,
      new_leads_contacted: t.contacted,
      opened: t.opens,
      unique_opened: t.uniqueOpens,
      replies: t.replies,
      unique_replies: t.uniqueReplies,
      replies_automatic: t.autoReplies,
      unique_replies_automatic: t.uniqueAutoReplies,
      clicks: t.clicks,
      unique_clicks: t.uniqueClicks,
      opportunities: t.opportunities,
      unique_opportunities: t.opportunities,
    };
  });
}
