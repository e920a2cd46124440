// The dashboard's KPI cards and funnel. Every number is one of the API's:
// `campaign.funnel` (leads by email status, from the campaign_lead_counts
// rollup) and, for interest and meetings, the campaign's leads grouped by
// overall_status (see `interestCounts`). Each value carries
// data-testid="kpi-<name>" and its raw number in data-value, for tests.
import { Anchor, Group, Paper, Progress, SimpleGrid, Stack, Text, Tooltip } from "@mantine/core";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { formatNumber, formatPercent } from "../format.ts";

export interface Funnel {
  leads: number | null;
  contacted: number | null;
  opened: number | null;
  replied: number | null;
  bounced: number | null;
  unsubscribed: number | null;
  openRate: string | null;
  replyRate: string | null;
  bounceRate: string | null;
}

/** overall_status values that count as "interested" and as "meetings". */
export const INTERESTED_STATUSES = ["interested", "meeting_booked", "converted"];
export const MEETING_STATUSES = ["meeting_booked", "converted"];

/**
 * Interest is the lead's overall_status (the latest interest signal wins, so
 * a lead that booked a meeting is no longer "interested"): interested counts
 * every lead that showed interest (interested, meeting booked, converted),
 * meetings the leads that booked one (meeting booked, converted).
 */
export function interestCounts(byOverallStatus: Map<string, number>) {
  const sum = (statuses: string[]) => statuses.reduce((total, status) => total + (byOverallStatus.get(status) ?? 0), 0);
  return { interested: sum(INTERESTED_STATUSES), meetings: sum(MEETING_STATUSES) };
}

/** a / b as a fraction, null when b is 0 (no email sent yet). */
const rate = (a: number, b: number) => (b ? a / b : null);

function Kpi({
  name,
  label,
  value,
  display,
  hint,
  to,
}: {
  name: string;
  label: string;
  value: number | string | null;
  display: string;
  hint?: ReactNode;
  to?: string;
}) {
  const number = (
    <Text fz={26} fw={700} lh={1.2} data-testid={`kpi-${name}`} data-value={value ?? ""}>
      {display}
    </Text>
  );
  return (
    <Paper withBorder p="sm" radius="md" component="section" aria-label={label}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      {to ? (
        <Anchor component={Link} to={to} underline="hover" c="inherit" aria-label={`${label}: ${display}, open these leads`}>
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

export function CampaignKpis({
  campaignId,
  funnel,
  byOverallStatus,
}: {
  campaignId: string;
  funnel: Funnel;
  byOverallStatus: Map<string, number>;
}) {
  const leads = funnel.leads ?? 0;
  const contacted = funnel.contacted ?? 0;
  const opened = funnel.opened ?? 0;
  const replied = funnel.replied ?? 0;
  const bounced = funnel.bounced ?? 0;
  const unsubscribed = funnel.unsubscribed ?? 0;
  const { interested, meetings } = interestCounts(byOverallStatus);
  const unsubscribeRate = rate(unsubscribed, contacted);
  const list = (query: string) => `/leads?campaign=${campaignId}&${query}`;
  const ofContacted = (value: number) => (contacted ? `${formatPercent(value / contacted)} of contacted` : "no email sent yet");

  const steps = [
    { label: "Contacted", value: contacted },
    { label: "Opened", value: opened },
    { label: "Replied", value: replied },
    { label: "Interested", value: interested },
    { label: "Meetings", value: meetings },
  ];

  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 2, sm: 4, lg: 8 }} spacing="sm">
        <Kpi name="leads" label="Leads" value={leads} display={formatNumber(leads)} to={list("")} hint="in the campaign" />
        <Kpi
          name="contacted"
          label="Contacted"
          value={contacted}
          display={formatNumber(contacted)}
          hint={leads ? `${formatPercent(contacted / leads)} of leads` : undefined}
        />
        <Kpi name="opened" label="Opened" value={opened} display={formatNumber(opened)} hint={ofContacted(opened)} />
        <Kpi
          name="replied"
          label="Replied"
          value={replied}
          display={formatNumber(replied)}
          hint={ofContacted(replied)}
          to={list("emailStatus=replied")}
        />
        <Kpi name="interested" label="Interested" value={interested} display={formatNumber(interested)} hint={ofContacted(interested)} />
        <Kpi name="meetings" label="Meetings" value={meetings} display={formatNumber(meetings)} hint={ofContacted(meetings)} />
        <Kpi
          name="bounced"
          label="Bounced"
          value={bounced}
          display={formatNumber(bounced)}
          hint={ofContacted(bounced)}
          to={list("emailStatus=bounced")}
        />
        <Kpi
          name="unsubscribed"
          label="Unsubscribed"
          value={unsubscribed}
          display={formatNumber(unsubscribed)}
          hint={ofContacted(unsubscribed)}
          to={list("emailStatus=unsubscribed")}
        />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
        <Kpi
          name="open-rate"
          label="Open rate"
          value={funnel.openRate}
          display={formatPercent(funnel.openRate)}
          hint="opened / contacted"
        />
        <Kpi
          name="reply-rate"
          label="Reply rate"
          value={funnel.replyRate}
          display={formatPercent(funnel.replyRate)}
          hint="replied / contacted"
        />
        <Kpi
          name="bounce-rate"
          label="Bounce rate"
          value={funnel.bounceRate}
          display={formatPercent(funnel.bounceRate)}
          hint="bounced / contacted"
        />
        <Kpi
          name="unsubscribe-rate"
          label="Unsubscribe rate"
          value={unsubscribeRate}
          display={formatPercent(unsubscribeRate)}
          hint="unsubscribed / contacted"
        />
      </SimpleGrid>
      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="funnel-title">
        <Text id="funnel-title" fw={600} mb="xs">
          Funnel
        </Text>
        <Stack gap={8}>
          {steps.map((step) => {
            const share = contacted ? step.value / contacted : 0;
            return (
              <div key={step.label}>
                <Group justify="space-between" gap="xs" wrap="nowrap">
                  <Text size="sm">{step.label}</Text>
                  <Text size="sm" c="dimmed">
                    {formatNumber(step.value)}
                    {contacted ? ` · ${formatPercent(share)}` : ""}
                  </Text>
                </Group>
                <Tooltip label={`${step.label}: ${formatNumber(step.value)} of ${formatNumber(contacted)} contacted`}>
                  <Progress value={share * 100} size="lg" radius="sm" aria-label={`${step.label} share of contacted`} />
                </Tooltip>
              </div>
            );
          })}
        </Stack>
      </Paper>
    </Stack>
  );
}
