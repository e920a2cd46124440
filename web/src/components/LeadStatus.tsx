// The status vocabularies of leads and campaign memberships (as the schema's
// comments on Lead.leadStatus and CampaignLead.* list them), their labels and
// colours, shared by the lead list, the lead page and the company page.
import { Badge, type BadgeProps } from "@mantine/core";

/** "do_not_contact" -> "Do not contact". */
export function humanize(value: string | null | undefined): string {
  if (!value) return "—";
  const text = value.replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const options = (values: string[]) => values.map((value) => ({ value, label: humanize(value) }));

/** Lead.leadStatus */
export const LEAD_STATUSES = options([
  "new",
  "qualified",
  "contacted",
  "replied",
  "interested",
  "converted",
  "unqualified",
  "do_not_contact",
]);

/** CampaignLead.overallStatus */
export const WORKFLOW_STATUSES = options([
  "active",
  "replied",
  "interested",
  "not_interested",
  "meeting_booked",
  "converted",
  "disqualified",
  "bounced",
  "unsubscribed",
  "completed",
]);

/** CampaignLead.emailStatus */
export const CAMPAIGN_EMAIL_STATUSES = options(["pending", "sent", "opened", "clicked", "replied", "bounced", "unsubscribed", "failed"]);

/** Lead.leadSource */
export const LEAD_SOURCES = [
  { value: "csv", label: "CSV import" },
  { value: "instantly", label: "Instantly" },
  { value: "vapi", label: "Vapi (calls)" },
  { value: "linkedin", label: "LinkedIn" },
  { value: "manual", label: "Manual" },
  { value: "api", label: "API" },
];

export const sourceLabel = (value: string | null | undefined) =>
  LEAD_SOURCES.find((source) => source.value === value)?.label ?? humanize(value);

/** How a membership's call status reads (CampaignLead.callStatus): "completed" is an answered call. */
export const CALL_STATUS_LABEL: Record<string, string> = {
  not_scheduled: "Not called yet",
  scheduled: "Call scheduled",
  completed: "Answered",
  no_answer: "No answer",
  voicemail: "Voicemail",
  wrong_number: "Wrong number",
  do_not_call: "Do not call",
  failed: "Call failed",
};

/** How a membership's LinkedIn status reads (CampaignLead.linkedinStatus). */
export const LINKEDIN_STATUS_LABEL: Record<string, string> = {
  not_started: "Not started",
  connection_sent: "Invitation sent",
  connected: "Connected",
  message_sent: "Message sent",
  replied: "Replied",
};

const COLORS: Record<string, string> = {
  new: "gray",
  qualified: "cyan",
  contacted: "blue",
  active: "blue",
  sent: "blue",
  pending: "gray",
  not_scheduled: "gray",
  not_started: "gray",
  scheduled: "cyan",
  opened: "indigo",
  clicked: "violet",
  connection_sent: "cyan",
  connected: "indigo",
  message_sent: "blue",
  replied: "teal",
  interested: "green",
  meeting_booked: "green",
  converted: "lime",
  completed: "gray",
  unqualified: "orange",
  not_interested: "orange",
  disqualified: "orange",
  no_answer: "yellow",
  voicemail: "yellow",
  bounced: "red",
  failed: "red",
  wrong_number: "red",
  unsubscribed: "red",
  do_not_contact: "red",
  do_not_call: "red",
};

/** A status as a coloured badge; the text is the humanised status, so tests can find it by text. */
export function StatusBadge({ status, label, ...props }: { status: string | null | undefined; label?: string } & BadgeProps) {
  if (!status) return null;
  return (
    // Whole words even in a narrow table cell: the cell grows (and the table scrolls) instead.
    <Badge
      color={COLORS[status] ?? "gray"}
      variant="light"
      radius="sm"
      tt="none"
      style={{ flexShrink: 0, maxWidth: "none" }}
      styles={{ label: { overflow: "visible" } }}
      {...props}
    >
      {label ?? humanize(status)}
    </Badge>
  );
}
