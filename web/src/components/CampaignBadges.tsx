// How campaign and workflow statuses read: words and colours shared by the
// campaign list and dashboard (the values are those of the schema's comments).
import { Badge, Group } from "@mantine/core";

/**
 * A badge's label is cut with an ellipsis when it has no room, and a table
 * cell gives it none (the label's overflow makes its minimum width 0): keep
 * labels whole, the table scrolls instead.
 */
export const NO_ELLIPSIS = { root: { flexShrink: 0, overflow: "visible" }, label: { overflow: "visible" } } as const;

const CAMPAIGN_STATUS_COLOR: Record<string, string> = {
  draft: "gray",
  active: "green",
  paused: "yellow",
  completed: "blue",
  archived: "dark",
};

/** campaign_leads.overall_status, in funnel order. */
export const OVERALL_STATUSES = [
  "active",
  "replied",
  "interested",
  "meeting_booked",
  "converted",
  "not_interested",
  "disqualified",
  "bounced",
  "unsubscribed",
  "completed",
] as const;

/** campaign_leads.email_status, in the order a lead moves through them. */
export const EMAIL_STATUSES = ["pending", "sent", "opened", "clicked", "replied", "bounced", "unsubscribed", "failed"] as const;

const STATUS_COLOR: Record<string, string> = {
  active: "indigo",
  pending: "gray",
  sent: "indigo",
  opened: "cyan",
  clicked: "teal",
  replied: "teal",
  interested: "green",
  meeting_booked: "lime",
  converted: "green",
  not_interested: "orange",
  disqualified: "orange",
  bounced: "red",
  unsubscribed: "red",
  failed: "red",
  completed: "gray",
};

/** "meeting_booked" -> "Meeting booked". */
export function statusLabel(status: string): string {
  const words = status.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function CampaignStatusBadge({ status }: { status: string }) {
  return (
    <Badge color={CAMPAIGN_STATUS_COLOR[status] ?? "gray"} variant="light" styles={NO_ELLIPSIS}>
      {statusLabel(status)}
    </Badge>
  );
}

export function WorkflowStatusBadge({ status }: { status: string }) {
  return (
    <Badge color={STATUS_COLOR[status] ?? "gray"} variant="light" radius="sm" styles={NO_ELLIPSIS}>
      {statusLabel(status)}
    </Badge>
  );
}

export function CampaignChannels({
  usesEmail,
  usesCalls,
  usesLinkedin,
}: {
  usesEmail: boolean;
  usesCalls: boolean;
  usesLinkedin: boolean;
}) {
  const channels = [usesEmail && "Email", usesCalls && "Calls", usesLinkedin && "LinkedIn"].filter(Boolean) as string[];
  if (channels.length === 0) return <>—</>;
  return (
    <Group gap={4} wrap="nowrap">
      {channels.map((channel) => (
        <Badge key={channel} variant="outline" color="gray" size="sm" styles={NO_ELLIPSIS}>
          {channel}
        </Badge>
      ))}
    </Group>
  );
}
