// One row of a timeline: what happened, when, in which campaign, by whom, and
// the content of its source (an email's subject and body, a call's recording
// and transcript, a LinkedIn message, a note).
import { Anchor, Badge, Box, Button, Collapse, Group, Paper, Stack, Text, ThemeIcon, VisuallyHidden } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconBrandLinkedin, IconChevronDown, IconChevronUp, IconMail, IconNote, IconPhone, IconSettings } from "@tabler/icons-react";
import { useId, type ReactNode } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { formatDateTime } from "../format.ts";
import { graphql, type ResultOf } from "../graphql.ts";
import { humanize, StatusBadge } from "./LeadStatus.tsx";

export const TimelineEventFields = graphql(`
  fragment TimelineEventFields on Event {
    rowId
    eventSource
    eventType
    eventTimestamp
    emailSubject
    emailBody
    emailQuotedText
    emailFrom
    emailTo
    callDurationSeconds
    callOutcome
    callRecordingUrl
    callTranscript
    vapiCallId
    linkedinMessageText
    linkedinProfileUrl
    noteText
    campaign {
      rowId
      campaignName
    }
    performer {
      rowId
      fullName
      email
    }
  }
`);

export type TimelineEventData = ResultOf<typeof TimelineEventFields> & {
  lead?: { rowId: string; fullName: string | null; email: string | null } | null;
};

/** The sources of events (Event.eventSource) as the timeline's chips name them. */
export const TIMELINE_SOURCES = [
  { value: "instantly", label: "Email", icon: IconMail, color: "blue" },
  { value: "vapi", label: "Calls", icon: IconPhone, color: "green" },
  { value: "linkedin", label: "LinkedIn", icon: IconBrandLinkedin, color: "indigo" },
  { value: "manual", label: "Notes", icon: IconNote, color: "yellow" },
  { value: "system", label: "System", icon: IconSettings, color: "gray" },
] as const;

const TYPE_LABELS: Record<string, string> = {
  email_sent: "Email sent",
  manual_email_sent: "Email sent by hand",
  email_replied: "Email reply",
  auto_reply_received: "Auto-reply received",
  lead_unsubscribed: "Unsubscribed",
  note_added: "Note",
  status_changed: "Status changed",
  connection_sent: "LinkedIn connection request sent",
  connection_accepted: "LinkedIn connection accepted",
  message_sent: "LinkedIn message sent",
  message_replied: "LinkedIn reply",
};

export const eventTypeLabel = (eventType: string) => TYPE_LABELS[eventType] ?? humanize(eventType);

export function formatDuration(seconds: number | null | undefined): string | null {
  if (seconds == null) return null;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

export function TimelineEvent({ event, showLead }: { event: TimelineEventData; showLead?: boolean }) {
  const source = TIMELINE_SOURCES.find((s) => s.value === event.eventSource) ?? TIMELINE_SOURCES[4];
  const Icon = source.icon;
  const performer = event.performer?.fullName || event.performer?.email;
  return (
    <Group align="flex-start" gap="sm" wrap="nowrap">
      <ThemeIcon variant="light" color={source.color} radius="xl" size="md" aria-hidden>
        <Icon size={16} />
      </ThemeIcon>
      <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
        <Group gap="xs" justify="space-between" wrap="wrap">
          <Text fw={600} size="sm">
            {eventTypeLabel(event.eventType)}
            {showLead && event.lead && (
              <>
                {" · "}
                <Anchor component={Link} to={`/leads/${event.lead.rowId}`} size="sm" fw={600}>
                  {event.lead.fullName || event.lead.email || "Unnamed lead"}
                </Anchor>
              </>
            )}
          </Text>
          <Text size="xs" c="dimmed" component="time" dateTime={event.eventTimestamp}>
            {formatDateTime(event.eventTimestamp)}
          </Text>
        </Group>
        {(event.campaign || performer) && (
          <Text size="xs" c="dimmed">
            {event.campaign && (
              <>
                Campaign{" "}
                <Anchor component={Link} to={`/campaigns/${event.campaign.rowId}`} size="xs">
                  {event.campaign.campaignName}
                </Anchor>
              </>
            )}
            {event.campaign && performer && " · "}
            {performer && `by ${performer}`}
          </Text>
        )}
        <EventContent event={event} />
      </Stack>
    </Group>
  );
}

function EventContent({ event }: { event: TimelineEventData }) {
  switch (event.eventSource) {
    case "instantly":
      return <EmailContent event={event} />;
    case "vapi":
      return <CallContent event={event} />;
    case "linkedin":
      return <LinkedinContent event={event} />;
    case "manual":
      return event.eventType === "status_changed" ? <StatusChangeContent event={event} /> : <NoteContent event={event} />;
    default:
      return event.noteText ? <TextBlock>{event.noteText}</TextBlock> : null;
  }
}

function NoteContent({ event }: { event: TimelineEventData }) {
  return event.noteText ? <TextBlock>{event.noteText}</TextBlock> : null;
}

// setLeadStatus records the old and new status in rawData ({"from", "to"});
// rawData is not in the timeline's query (an email's is large), and status
// changes are few, so each asks for its own.
const StatusChangeQuery = graphql(`
  query StatusChange($rowId: UUID!) {
    event(rowId: $rowId) {
      rowId
      rawData
    }
  }
`);

function statusChange(rawData: unknown): { from: string | null; to: string } | null {
  if (!rawData || typeof rawData !== "object") return null;
  const { from, to } = rawData as { from?: unknown; to?: unknown };
  return typeof to === "string" ? { from: typeof from === "string" ? from : null, to } : null;
}

function StatusChangeContent({ event }: { event: TimelineEventData }) {
  const [{ data }] = useQuery({ query: StatusChangeQuery, variables: { rowId: event.rowId } });
  const change = statusChange(data?.event?.rawData);
  return (
    <>
      {change && (
        <Group gap={6}>
          {change.from && <StatusBadge status={change.from} size="sm" />}
          {change.from && (
            <Text size="sm" component="span">
              <span aria-hidden>→</span>
              <VisuallyHidden>to</VisuallyHidden>
            </Text>
          )}
          <StatusBadge status={change.to} size="sm" />
        </Group>
      )}
      <NoteContent event={event} />
    </>
  );
}

function TextBlock({ children, muted }: { children: ReactNode; muted?: boolean }) {
  return (
    <Text size="sm" c={muted ? "dimmed" : undefined} style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
      {children}
    </Text>
  );
}

/** A button that shows and hides a part (an email body, a transcript), for mouse and keyboard alike. */
function Expandable({ show, hide, children }: { show: string; hide: string; children: ReactNode }) {
  const [opened, { toggle }] = useDisclosure(false);
  const id = useId();
  return (
    <Box>
      <Button
        variant="subtle"
        size="compact-xs"
        px={4}
        onClick={toggle}
        aria-expanded={opened}
        aria-controls={id}
        rightSection={opened ? <IconChevronUp size={14} aria-hidden /> : <IconChevronDown size={14} aria-hidden />}
      >
        {opened ? hide : show}
      </Button>
      <Collapse expanded={opened} id={id} keepMounted={false}>
        <Box pt={4}>{children}</Box>
      </Collapse>
    </Box>
  );
}

function EmailContent({ event }: { event: TimelineEventData }) {
  const hasBody = Boolean(event.emailBody || event.emailQuotedText);
  if (!event.emailSubject && !hasBody) return null;
  return (
    <Paper withBorder p="xs" radius="sm">
      <Stack gap={2}>
        <Text size="sm" fw={500} style={{ overflowWrap: "anywhere" }}>
          {event.emailSubject || "(no subject)"}
        </Text>
        {(event.emailFrom || event.emailTo) && (
          <Text size="xs" c="dimmed" style={{ overflowWrap: "anywhere" }}>
            {event.emailFrom && `From ${event.emailFrom}`}
            {event.emailFrom && event.emailTo && " · "}
            {event.emailTo && `To ${event.emailTo}`}
          </Text>
        )}
        {hasBody && (
          <Expandable show="Show email" hide="Hide email">
            <Stack gap="xs">
              {event.emailBody && <TextBlock>{event.emailBody}</TextBlock>}
              {event.emailQuotedText && (
                <Expandable show="Show quoted text" hide="Hide quoted text">
                  <Box pl="sm" style={{ borderLeft: "3px solid var(--mantine-color-gray-3)" }}>
                    <TextBlock muted>{event.emailQuotedText}</TextBlock>
                  </Box>
                </Expandable>
              )}
            </Stack>
          </Expandable>
        )}
      </Stack>
    </Paper>
  );
}

// API: Event.callSummary — Vapi's analysis.summary is only in rawData today;
// this per-call query goes once the API exposes the summary as a column.
const CallSummaryQuery = graphql(`
  query CallSummary($rowId: UUID!) {
    event(rowId: $rowId) {
      rowId
      rawData
    }
  }
`);

function callSummary(rawData: unknown): string | null {
  if (!rawData || typeof rawData !== "object") return null;
  const data = rawData as { analysis?: { summary?: unknown }; summary?: unknown };
  const summary = data.analysis?.summary ?? data.summary;
  return typeof summary === "string" && summary.trim() ? summary : null;
}

function CallContent({ event }: { event: TimelineEventData }) {
  const [{ data }] = useQuery({ query: CallSummaryQuery, variables: { rowId: event.rowId } });
  const summary = callSummary(data?.event?.rawData);
  const duration = formatDuration(event.callDurationSeconds);
  return (
    <Paper withBorder p="xs" radius="sm">
      <Stack gap={6}>
        <Group gap="xs">
          {event.callOutcome && (
            <Badge variant="light" color="green" radius="sm" tt="none">
              {humanize(event.callOutcome)}
            </Badge>
          )}
          {duration && (
            <Text size="xs" c="dimmed">
              Duration {duration}
            </Text>
          )}
        </Group>
        {summary && <TextBlock>{summary}</TextBlock>}
        {event.callRecordingUrl && (
          <audio
            controls
            preload="none"
            src={event.callRecordingUrl}
            aria-label={`Call recording, ${formatDateTime(event.eventTimestamp)}`}
            style={{ width: "100%", maxWidth: 420 }}
          />
        )}
        {event.callTranscript && (
          <Expandable show="Show transcript" hide="Hide transcript">
            <TextBlock>{event.callTranscript}</TextBlock>
          </Expandable>
        )}
      </Stack>
    </Paper>
  );
}

function LinkedinContent({ event }: { event: TimelineEventData }) {
  if (!event.linkedinMessageText && !event.linkedinProfileUrl) return null;
  return (
    <Stack gap={2}>
      {event.linkedinMessageText && (
        <Paper withBorder p="xs" radius="sm">
          <TextBlock>{event.linkedinMessageText}</TextBlock>
        </Paper>
      )}
      {event.linkedinProfileUrl && (
        <Anchor href={event.linkedinProfileUrl} target="_blank" rel="noreferrer" size="xs">
          LinkedIn profile
        </Anchor>
      )}
    </Stack>
  );
}
