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
    callSummary
    callSuccessEvaluation
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
  inmail_sent: "LinkedIn InMail sent",
  inmail_replied: "LinkedIn InMail reply",
  profile_viewed: "LinkedIn profile viewed",
  call_completed: "Call",
  call_voicemail: "Call: voicemail",
  call_no_answer: "Call: no answer",
  call_failed: "Call failed",
  call_canceled: "Call canceled",
  call_logged: "Call logged",
};

export const eventTypeLabel = (eventType: string) => TYPE_LABELS[eventType] ?? humanize(eventType);

export function formatDuration(seconds: number | null | undefined): string | null {
  if (seconds == null) return null;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

/** A call placed through VAPI, or one logged by hand (logCall). */
export const isCall = (event: Pick<TimelineEventData, "eventSource" | "eventType">) =>
  event.eventSource === "vapi" || event.eventType === "call_logged";

export function TimelineEvent({ event, showLead }: { event: TimelineEventData; showLead?: boolean }) {
  // A call logged by hand looks like a call (its chip stays Notes: it is a manual event).
  const source =
    (event.eventType === "call_logged" ? TIMELINE_SOURCES[1] : TIMELINE_SOURCES.find((s) => s.value === event.eventSource)) ??
    TIMELINE_SOURCES[4];
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
            {performer && (event.eventType === "call_logged" ? `logged by ${performer}` : `by ${performer}`)}
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
      if (event.eventType === "call_logged") return <CallContent event={event} />;
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

// A failed call's raw endedReason (an unknown one is kept as call_failed) is
// only in rawData, which the timeline's query leaves out (an email's is
// large); failed calls are few, so each asks for its own.
const FailedCallQuery = graphql(`
  query FailedCall($rowId: UUID!) {
    event(rowId: $rowId) {
      rowId
      rawData
    }
  }
`);

function endedReason(rawData: unknown): string | null {
  if (!rawData || typeof rawData !== "object") return null;
  const reason = (rawData as { endedReason?: unknown }).endedReason;
  return typeof reason === "string" && reason.trim() ? reason : null;
}

/** Event.callOutcome (answered, voicemail, no_answer, busy, wrong_number), else what the event type says (failed, canceled). */
const OUTCOME: Record<string, { label: string; color: string }> = {
  answered: { label: "Answered", color: "green" },
  voicemail: { label: "Voicemail", color: "yellow" },
  no_answer: { label: "No answer", color: "gray" },
  busy: { label: "Busy", color: "orange" },
  wrong_number: { label: "Wrong number", color: "red" },
  call_failed: { label: "Failed", color: "red" },
  call_canceled: { label: "Canceled", color: "gray" },
};

export function CallOutcomeBadge({ outcome, eventType }: { outcome: string | null | undefined; eventType: string }) {
  const key = outcome ?? eventType;
  const shown = OUTCOME[key];
  if (!shown && !outcome) return null;
  return (
    <Badge variant="light" color={shown?.color ?? "gray"} radius="sm" tt="none" data-testid="call-outcome" data-value={key}>
      {shown?.label ?? humanize(key)}
    </Badge>
  );
}

/** VAPI's successEvaluation is text whose form depends on the assistant's rubric: "true", "false", "8", "Pass"… */
function SuccessEvaluation({ value }: { value: string }) {
  const verdict = value.trim().toLowerCase();
  const [label, color] =
    verdict === "true" || verdict === "pass"
      ? ["Successful", "teal"]
      : verdict === "false" || verdict === "fail"
        ? ["Not successful", "orange"]
        : [`Evaluation: ${value}`, "gray"];
  return (
    <Badge
      variant="outline"
      color={color}
      radius="sm"
      tt="none"
      title={`VAPI's success evaluation: ${value}`}
      data-testid="call-success-evaluation"
    >
      {label}
    </Badge>
  );
}

function CallContent({ event }: { event: TimelineEventData }) {
  const fromVapi = event.eventSource === "vapi";
  const failed = event.eventType === "call_failed";
  const [{ data }] = useQuery({ query: FailedCallQuery, variables: { rowId: event.rowId }, pause: !failed });
  const reason = failed ? endedReason(data?.event?.rawData) : null;
  const summary = event.callSummary;
  const successEvaluation = event.callSuccessEvaluation;
  const duration = formatDuration(event.callDurationSeconds);
  return (
    <Paper withBorder p="xs" radius="sm" data-testid="call">
      <Stack gap={6}>
        <Group gap="xs">
          <CallOutcomeBadge outcome={event.callOutcome} eventType={event.eventType} />
          {successEvaluation && <SuccessEvaluation value={successEvaluation} />}
          {duration && (
            <Text size="xs" c="dimmed" data-testid="call-duration">
              Duration {duration}
            </Text>
          )}
          {!fromVapi && (
            <Text size="xs" c="dimmed">
              Logged by hand
            </Text>
          )}
          {reason && (
            <Text size="xs" c="red.8" style={{ overflowWrap: "anywhere" }} title="VAPI's endedReason">
              {reason}
            </Text>
          )}
        </Group>
        {summary && <TextBlock>{summary}</TextBlock>}
        {!fromVapi && event.noteText && <TextBlock>{event.noteText}</TextBlock>}
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

/** LinkedIn touches that are a message, by who wrote it; the rest (invites, profile views) are small system lines. */
const LINKEDIN_OURS = new Set(["message_sent", "inmail_sent"]);
const LINKEDIN_THEIRS = new Set(["message_replied", "inmail_replied"]);
const LINKEDIN_SYSTEM: Record<string, string> = {
  connection_sent: "Connection request sent",
  connection_accepted: "Connection accepted",
  profile_viewed: "Profile viewed",
};

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * Consecutive LinkedIn touches as one conversation, oldest first like a chat:
 * our messages on the right, the lead's replies on the left, invitations and
 * profile views as small lines between them.
 */
export function LinkedinConversation({ events, showLead }: { events: TimelineEventData[]; showLead?: boolean }) {
  const chronological = [...events].sort((a, b) => a.eventTimestamp.localeCompare(b.eventTimestamp) || a.rowId.localeCompare(b.rowId));
  const profileUrl = chronological.find((event) => event.linkedinProfileUrl)?.linkedinProfileUrl;
  const lead = events.find((event) => event.lead)?.lead;
  const campaigns = [...new Map(events.flatMap((e) => (e.campaign ? [[e.campaign.rowId, e.campaign] as const] : []))).values()];
  const first = chronological[0]!;
  const last = chronological.at(-1)!;
  return (
    <Group align="flex-start" gap="sm" wrap="nowrap">
      <ThemeIcon variant="light" color="indigo" radius="xl" size="md" aria-hidden>
        <IconBrandLinkedin size={16} />
      </ThemeIcon>
      <Stack gap={6} style={{ flex: 1, minWidth: 0 }} data-testid="linkedin-conversation">
        <Group gap="xs" justify="space-between" wrap="wrap">
          <Text fw={600} size="sm">
            LinkedIn conversation
            {showLead && lead && (
              <>
                {" · "}
                <Anchor component={Link} to={`/leads/${lead.rowId}`} size="sm" fw={600}>
                  {lead.fullName || lead.email || "Unnamed lead"}
                </Anchor>
              </>
            )}
          </Text>
          <Text size="xs" c="dimmed">
            <time dateTime={first.eventTimestamp}>{formatDateTime(first.eventTimestamp)}</time>
            {last !== first && (
              <>
                {" – "}
                <time dateTime={last.eventTimestamp}>{formatDateTime(last.eventTimestamp)}</time>
              </>
            )}
          </Text>
        </Group>
        {(campaigns.length > 0 || profileUrl) && (
          <Text size="xs" c="dimmed">
            {campaigns.map((campaign, i) => (
              <span key={campaign.rowId}>
                {i === 0 ? "Campaign " : ", "}
                <Anchor component={Link} to={`/campaigns/${campaign.rowId}`} size="xs">
                  {campaign.campaignName}
                </Anchor>
              </span>
            ))}
            {campaigns.length > 0 && profileUrl && " · "}
            {profileUrl && (
              <Anchor href={profileUrl} target="_blank" rel="noreferrer" size="xs">
                LinkedIn profile
              </Anchor>
            )}
          </Text>
        )}
        <Paper withBorder radius="md" p="xs" bg="var(--mantine-color-gray-0)">
          <Stack gap={6} component="ol" m={0} p={0} style={{ listStyle: "none" }} aria-label="LinkedIn messages">
            {chronological.map((event) => (
              <LinkedinTouch key={event.rowId} event={event} />
            ))}
          </Stack>
        </Paper>
      </Stack>
    </Group>
  );
}

function LinkedinTouch({ event }: { event: TimelineEventData }) {
  const ours = LINKEDIN_OURS.has(event.eventType);
  const theirs = LINKEDIN_THEIRS.has(event.eventType);
  const when = timeFormat.format(new Date(event.eventTimestamp));
  if (!ours && !theirs)
    return (
      <Text component="li" size="xs" c="dimmed" ta="center" data-event-type={event.eventType} data-linkedin-side="system">
        {LINKEDIN_SYSTEM[event.eventType] ?? eventTypeLabel(event.eventType)} · <time dateTime={event.eventTimestamp}>{when}</time>
      </Text>
    );
  const inmail = event.eventType.startsWith("inmail");
  const who = ours ? "We" : "They";
  return (
    <Box
      component="li"
      data-event-type={event.eventType}
      data-linkedin-side={ours ? "ours" : "theirs"}
      style={{ display: "flex", justifyContent: ours ? "flex-end" : "flex-start" }}
    >
      <Box
        maw="80%"
        px="sm"
        py={6}
        style={{
          borderRadius: 12,
          borderBottomRightRadius: ours ? 2 : 12,
          borderBottomLeftRadius: ours ? 12 : 2,
          background: ours ? "var(--mantine-color-indigo-6)" : "var(--mantine-color-white)",
          color: ours ? "var(--mantine-color-white)" : undefined,
          border: ours ? undefined : "1px solid var(--mantine-color-gray-3)",
        }}
      >
        <VisuallyHidden>{ours ? "We wrote" : "The lead replied"}: </VisuallyHidden>
        <Text size="sm" style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }} fs={event.linkedinMessageText ? undefined : "italic"}>
          {event.linkedinMessageText || (ours ? "Message sent (the export has no text)" : "Replied (the export has no text)")}
        </Text>
        <Text size="xs" ta={ours ? "right" : "left"} c={ours ? "indigo.1" : "dimmed"} mt={2}>
          <span aria-hidden>{who} · </span>
          {inmail && "InMail · "}
          <time dateTime={event.eventTimestamp}>{when}</time>
        </Text>
      </Box>
    </Box>
  );
}
