// The dashboard's other channels. Calls: calls placed, answered, voicemail,
// no answer, failed (the campaign_event_counts rollup by type), the flow
// "emailed -> no reply -> due -> called -> answered" (the funnel, callsDue and
// the campaign_call_counts rollup of memberships by call status), and the
// campaign's call settings.
// LinkedIn: touches by type from the same rollup. Shown when the campaign
// uses the channel or has events on it.
import { Anchor, Badge, Code, DataList, Group, Paper, SimpleGrid, Stack, Text, Title, Tooltip } from "@mantine/core";
import { IconArrowRight } from "@tabler/icons-react";
import { Fragment } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { formatNumber, formatPercent } from "../format.ts";
import { graphql, type ResultOf } from "../graphql.ts";
import { CampaignCallSettingsButton } from "./CampaignCallSettings.tsx";
import type { Funnel } from "./CampaignKpis.tsx";
import { Field } from "./LeadProfile.tsx";
import { ErrorNotice } from "./States.tsx";

const CampaignChannelsQuery = graphql(`
  query CampaignChannels($campaignId: UUID!) {
    campaign(rowId: $campaignId) {
      rowId
      usesCalls
      usesLinkedin
      campaignStatus
      timezone
      callAfter {
        years
        months
        days
        hours
        minutes
        seconds
      }
      callHoursStart
      callHoursEnd
      callDays
      vapiAssistantId
      vapiPhoneNumberId
      channelEvents: campaignEventCounts(filter: { eventSource: { in: ["vapi", "linkedin", "manual"] } }) {
        groupedAggregates(groupBy: [EVENT_SOURCE, EVENT_TYPE]) {
          keys
          sum {
            eventCount
          }
        }
      }
      leadsByCallStatus: campaignCallCounts {
        groupedAggregates(groupBy: CALL_STATUS) {
          keys
          sum {
            leadCount
          }
        }
      }
      openRequests: vapiCallRequests(filter: { state: { in: ["queued", "placing"] } }) {
        totalCount
      }
    }
    due: callsDue(filter: { campaignId: { equalTo: $campaignId } }) {
      totalCount
    }
  }
`);

/** VAPI's event types (one per ended call) as the dashboard counts them. */
const CALL_TYPES = {
  answered: ["call_completed"],
  voicemail: ["call_voicemail"],
  noAnswer: ["call_no_answer"],
  failed: ["call_failed", "call_canceled"],
};
/** campaign_leads.call_status values of a lead that was called (rank 2 and up, docs/sources/vapi-calls.md). */
const CALLED_STATUSES = ["failed", "no_answer", "voicemail", "wrong_number", "completed", "do_not_call"];
const LINKEDIN_TYPES = [
  { type: "connection_sent", label: "Invitations sent" },
  { type: "connection_accepted", label: "Accepted" },
  { type: "message_sent", label: "Messages sent" },
  { type: "message_replied", label: "Replies" },
  { type: "inmail_sent", label: "InMails sent" },
  { type: "inmail_replied", label: "InMail replies" },
  { type: "profile_viewed", label: "Profile views" },
];
const WEEKDAYS = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** An Interval as words: "3 days", "1 day 12 h". */
export function intervalText(interval: Partial<Record<"years" | "months" | "days" | "hours" | "minutes" | "seconds", number | null>>) {
  const parts: string[] = [];
  const add = (n: number | null | undefined, one: string, many: string) => {
    if (n) parts.push(`${n} ${n === 1 ? one : many}`);
  };
  add(interval.years, "year", "years");
  add(interval.months, "month", "months");
  add(interval.days, "day", "days");
  add(interval.hours, "h", "h");
  add(interval.minutes, "min", "min");
  add(interval.seconds ? Math.round(interval.seconds) : 0, "s", "s");
  return parts.join(" ") || "at once";
}

/** ISO weekdays as "Mon–Fri", or "Mon, Wed, Fri". */
export function weekdaysText(days: readonly (number | null)[]) {
  const sorted = [...new Set(days.filter((d): d is number => d != null))].sort();
  if (sorted.length === 0) return "no day";
  if (sorted.length === 7) return "every day";
  const contiguous = sorted.every((d, i) => i === 0 || d === sorted[i - 1]! + 1);
  if (contiguous && sorted.length > 2) return `${WEEKDAYS[sorted[0]!]}–${WEEKDAYS[sorted.at(-1)!]}`;
  return sorted.map((d) => WEEKDAYS[d]).join(", ");
}

const hhmm = (time: string) => time.slice(0, 5);

function Stat({ name, label, value, hint, to }: { name: string; label: string; value: number; hint?: string; to?: string }) {
  const number = (
    <Text fz={22} fw={700} lh={1.2} data-testid={`kpi-${name}`} data-value={value}>
      {formatNumber(value)}
    </Text>
  );
  return (
    <Paper withBorder p="sm" radius="md" component="section" aria-label={label}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      {to ? (
        <Anchor component={Link} to={to} underline="hover" c="inherit" aria-label={`${label}: ${formatNumber(value)}, open these leads`}>
          {number}
        </Anchor>
      ) : (
        number
      )}
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Paper>
  );
}

export function CampaignChannelsSections({ campaignId, funnel }: { campaignId: string; funnel: Funnel }) {
  const [{ data, error }, reexecute] = useQuery({ query: CampaignChannelsQuery, variables: { campaignId } });
  const campaign = data?.campaign;
  if (error && !data) return <ErrorNotice error={error} title="Could not load the calls and LinkedIn numbers" />;
  if (!campaign) return null;

  const events = new Map<string, number>();
  for (const group of campaign.channelEvents.groupedAggregates ?? []) {
    const [source, type] = group.keys ?? [];
    events.set(`${source}/${type}`, (events.get(`${source}/${type}`) ?? 0) + Number(group.sum?.eventCount ?? 0));
  }
  const vapi = (types: string[]) => types.reduce((sum, type) => sum + (events.get(`vapi/${type}`) ?? 0), 0);
  const logged = events.get("manual/call_logged") ?? 0;
  const linkedin = (type: string) => events.get(`linkedin/${type}`) ?? 0;
  const hasCalls = [...events.keys()].some((key) => key.startsWith("vapi/")) || logged > 0;
  const hasLinkedin = [...events.keys()].some((key) => key.startsWith("linkedin/"));

  const byCallStatus = new Map(
    (campaign.leadsByCallStatus.groupedAggregates ?? []).map((g) => [g.keys?.[0] ?? "", Number(g.sum?.leadCount ?? 0)]),
  );
  const callStatus = (statuses: string[]) => statuses.reduce((sum, s) => sum + (byCallStatus.get(s) ?? 0), 0);

  return (
    <>
      {(campaign.usesCalls || hasCalls) && (
        <CallsSection
          campaign={campaign}
          onSettingsSaved={() => reexecute({ requestPolicy: "network-only" })}
          counts={{
            placed: vapi(Object.values(CALL_TYPES).flat()),
            answered: vapi(CALL_TYPES.answered),
            voicemail: vapi(CALL_TYPES.voicemail),
            noAnswer: vapi(CALL_TYPES.noAnswer),
            failed: vapi(CALL_TYPES.failed),
            logged,
          }}
          flow={{
            emailed: funnel.contacted ?? 0,
            noReply: Math.max(0, (funnel.contacted ?? 0) - (funnel.replied ?? 0)),
            due: data.due?.totalCount ?? 0,
            queued: (byCallStatus.get("scheduled") ?? 0) || campaign.openRequests.totalCount,
            called: callStatus(CALLED_STATUSES),
            answered: callStatus(["completed"]),
          }}
        />
      )}
      {(campaign.usesLinkedin || hasLinkedin) && (
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="linkedin-title">
          <Title order={3} size="h4" id="linkedin-title" mb="sm">
            LinkedIn
          </Title>
          {hasLinkedin ? (
            <SimpleGrid cols={{ base: 2, sm: 4, lg: 7 }} spacing="sm">
              {LINKEDIN_TYPES.map(({ type, label }) => (
                <Stat
                  key={type}
                  name={`linkedin-${type.replace(/_/g, "-")}`}
                  label={label}
                  value={linkedin(type)}
                  hint={
                    type === "connection_accepted" && linkedin("connection_sent")
                      ? `${formatPercent(linkedin(type) / linkedin("connection_sent"))} of invitations`
                      : type === "message_replied" && linkedin("message_sent")
                        ? `${formatPercent(linkedin(type) / linkedin("message_sent"))} of messages`
                        : undefined
                  }
                />
              ))}
            </SimpleGrid>
          ) : (
            <Text size="sm" c="dimmed">
              No LinkedIn activity yet: import your LinkedIn tool&apos;s export (HeyReach, Expandi, lemlist, …) on the{" "}
              <Anchor component={Link} to="/imports" size="sm">
                imports page
              </Anchor>{" "}
              as &quot;LinkedIn activity&quot;.
            </Text>
          )}
        </Paper>
      )}
    </>
  );
}

type Campaign = NonNullable<ResultOf<typeof CampaignChannelsQuery>["campaign"]>;

function CallsSection({
  campaign,
  counts,
  flow,
  onSettingsSaved,
}: {
  campaign: Campaign;
  onSettingsSaved: () => void;
  counts: { placed: number; answered: number; voicemail: number; noAnswer: number; failed: number; logged: number };
  flow: { emailed: number; noReply: number; due: number; queued: number; called: number; answered: number };
}) {
  const ofPlaced = (n: number) => (counts.placed ? `${formatPercent(n / counts.placed)} of calls` : undefined);
  const list = (query: string) => `/leads?campaign=${campaign.rowId}&${query}`;
  const steps = [
    { name: "emailed", label: "Emailed", value: flow.emailed, hint: "sent at least one email" },
    { name: "no-reply", label: "No reply", value: flow.noReply, hint: "emailed, not replied" },
    { name: "due", label: "Due now", value: flow.due, hint: `no reply after ${intervalText(campaign.callAfter)}`, to: "/calls" },
    { name: "queued", label: "Queued", value: flow.queued, hint: "call scheduled", to: "/calls" },
    { name: "called", label: "Called", value: flow.called, hint: "a call was placed" },
    {
      name: "answered",
      label: "Answered",
      value: flow.answered,
      hint: flow.called ? `${formatPercent(flow.answered / flow.called)} of called` : undefined,
    },
  ];
  const missing = [!campaign.vapiAssistantId && "a VAPI assistant", !campaign.vapiPhoneNumberId && "a VAPI phone number"].filter(Boolean);
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="calls-title" data-testid="campaign-calls">
      <Group justify="space-between" mb="sm" gap="xs">
        <Title order={3} size="h4" id="calls-title">
          Calls
        </Title>
        <Anchor component={Link} to="/calls" size="sm">
          Outbox and recent calls
        </Anchor>
      </Group>
      <Stack gap="md">
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="sm">
          <Stat name="calls-placed" label="Calls placed" value={counts.placed} hint="through VAPI, ended" />
          <Stat name="calls-answered" label="Answered" value={counts.answered} hint={ofPlaced(counts.answered)} />
          <Stat name="calls-voicemail" label="Voicemail" value={counts.voicemail} hint={ofPlaced(counts.voicemail)} />
          <Stat name="calls-no-answer" label="No answer" value={counts.noAnswer} hint={ofPlaced(counts.noAnswer)} />
          <Stat name="calls-failed" label="Failed" value={counts.failed} hint={ofPlaced(counts.failed)} />
          <Stat name="calls-logged" label="Logged by hand" value={counts.logged} hint="calls made by phone" />
        </SimpleGrid>
        <div>
          <Text fw={600} size="sm" mb={6} id="call-flow-title">
            Email → call
          </Text>
          <Group gap={6} wrap="wrap" align="stretch" role="list" aria-labelledby="call-flow-title">
            {steps.map((step, i) => (
              <Fragment key={step.name}>
                {i > 0 && (
                  <Group align="center" aria-hidden>
                    <IconArrowRight size={16} color="var(--mantine-color-gray-5)" />
                  </Group>
                )}
                <Paper
                  withBorder
                  px="sm"
                  py={6}
                  radius="md"
                  role="listitem"
                  aria-label={`${step.label}: ${formatNumber(step.value)}`}
                  miw={110}
                >
                  <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
                    {step.label}
                  </Text>
                  {step.to ? (
                    <Anchor component={Link} to={step.to} c="inherit" underline="hover">
                      <Text fz={20} fw={700} data-testid={`flow-${step.name}`} data-value={step.value}>
                        {formatNumber(step.value)}
                      </Text>
                    </Anchor>
                  ) : (
                    <Text fz={20} fw={700} data-testid={`flow-${step.name}`} data-value={step.value}>
                      {formatNumber(step.value)}
                    </Text>
                  )}
                  {step.hint && (
                    <Text size="xs" c="dimmed">
                      {step.hint}
                    </Text>
                  )}
                </Paper>
              </Fragment>
            ))}
          </Group>
          <Text size="xs" c="dimmed" mt={4}>
            Leads at each step; &quot;due now&quot; are those the worker queues next.{" "}
            <Anchor component={Link} to={list("")} size="xs">
              The campaign&apos;s leads
            </Anchor>
          </Text>
        </div>
        <div>
          <Group gap="xs" mb={6}>
            <Text fw={600} size="sm">
              Call settings
            </Text>
            <CampaignCallSettingsButton settings={campaign} onSaved={onSettingsSaved} />
            {!campaign.usesCalls && (
              <Badge color="gray" variant="light" tt="none">
                Calls are off
              </Badge>
            )}
            {campaign.usesCalls && campaign.campaignStatus !== "active" && (
              <Badge color="yellow" variant="light" tt="none">
                Calls wait until the campaign is active
              </Badge>
            )}
          </Group>
          <DataList size="sm" labelWidth={160} gap={4} aria-label="Call settings">
            <Field label="Call after">{intervalText(campaign.callAfter)} without a reply</Field>
            <Field label="Call hours">
              {hhmm(campaign.callHoursStart)}–{hhmm(campaign.callHoursEnd)}, {weekdaysText(campaign.callDays)} ({campaign.timezone})
            </Field>
            <Field label="VAPI assistant">
              {campaign.vapiAssistantId ? (
                <Code>{campaign.vapiAssistantId}</Code>
              ) : (
                <Text span size="sm" c="orange.8">
                  not set
                </Text>
              )}
            </Field>
            <Field label="VAPI phone number">
              {campaign.vapiPhoneNumberId ? (
                <Code>{campaign.vapiPhoneNumberId}</Code>
              ) : (
                <Text span size="sm" c="orange.8">
                  not set
                </Text>
              )}
            </Field>
          </DataList>
          {campaign.usesCalls && missing.length > 0 && (
            <Tooltip label="updateCampaign(input: {rowId, patch: {vapiAssistantId, vapiPhoneNumberId}})">
              <Text size="sm" c="orange.8" mt={4}>
                No call is placed until the campaign has {missing.join(" and ")}.
              </Text>
            </Tooltip>
          )}
        </div>
      </Stack>
    </Paper>
  );
}
