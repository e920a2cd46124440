// Sends, opens, replies and bounces per day (UTC) over a date range: one row
// per day from emailActivityPerDay (which event types each series counts is
// decided there, migration 000030). The range lives in the URL
// (?range=7|30|90|all, or ?from=YYYY-MM-DD&to=YYYY-MM-DD).
import { Group, Paper, SegmentedControl, SimpleGrid, Skeleton, Text, TextInput } from "@mantine/core";
import { useEffect, useRef } from "react";
import { useSearchParams } from "react-router";
import { useQuery } from "urql";
import { formatNumber } from "../format.ts";
import { graphql } from "../graphql.ts";
import type { DailyPoint } from "./CampaignCharts.tsx";
import { DailyChart } from "./CampaignChartsLazy.tsx";
import { ErrorNotice } from "./States.tsx";

const CampaignDailyQuery = graphql(`
  query CampaignDaily($campaignId: UUID!, $fromDate: Date, $toDate: Date) {
    campaign(rowId: $campaignId) {
      rowId
      emailActivityPerDay(fromDate: $fromDate, toDate: $toDate) {
        eventDate
        sent
        opened
        replied
        bounced
      }
    }
  }
`);

const SERIES_LABEL = { sent: "Sent", opened: "Opened", replied: "Replied", bounced: "Bounced" };

const PRESETS = [
  { value: "7", label: "7 days" },
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "all", label: "All" },
  { value: "custom", label: "Custom" },
];

const DAY = 86_400_000;
const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);
const todayUtc = () => isoDay(Date.now());
const isDate = (value: string | null): value is string => !!value && /^\d{4}-\d{2}-\d{2}$/.test(value);

/** The range the URL asks for: [from, to] (inclusive, null = open) and the preset. */
function rangeOf(params: URLSearchParams): { preset: string; from: string | null; to: string | null } {
  const from = params.get("from");
  const to = params.get("to");
  if (isDate(from) || isDate(to)) return { preset: "custom", from: isDate(from) ? from : null, to: isDate(to) ? to : null };
  const range = params.get("range") ?? "all";
  const days = Number(range);
  if ([7, 30, 90].includes(days)) return { preset: range, from: isoDay(Date.now() - (days - 1) * DAY), to: todayUtc() };
  return { preset: "all", from: null, to: null };
}

/** One point per day from `from` to `to`, zeros included, so gaps show as gaps. */
function fillDays(counts: Map<string, DailyPoint>, from: string | null, to: string | null): DailyPoint[] {
  const days = [...counts.keys()].sort();
  const first = from ?? days[0];
  const last = to ?? days[days.length - 1];
  if (!first || !last || first > last) return [];
  const points: DailyPoint[] = [];
  // At most ~5 years of days: a chart of more would be unreadable anyway.
  for (let t = Date.parse(first), end = Date.parse(last), n = 0; t <= end && n < 2000; t += DAY, n++) {
    const date = isoDay(t);
    points.push(counts.get(date) ?? { date, sent: 0, opened: 0, replied: 0, bounced: 0 });
  }
  return points;
}

export function CampaignDaily({ campaignId }: { campaignId: string }) {
  const [params, setParams] = useSearchParams();
  const { preset, from, to } = rangeOf(params);
  const [{ data, error, fetching }] = useQuery({ query: CampaignDailyQuery, variables: { campaignId, fromDate: from, toDate: to } });

  const counts = new Map<string, DailyPoint>();
  for (const day of data?.campaign?.emailActivityPerDay ?? []) {
    if (!day?.eventDate) continue;
    const { eventDate: date, sent, opened, replied, bounced } = day;
    counts.set(date, { date, sent: sent ?? 0, opened: opened ?? 0, replied: replied ?? 0, bounced: bounced ?? 0 });
  }
  const points = data ? fillDays(counts, from, to) : [];
  const totals = { sent: 0, opened: 0, replied: 0, bounced: 0 };
  for (const point of counts.values()) for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += point[key];

  // Two changes before the next render (react-router's setter sees the
  // params of its render) must not undo each other: build on the last one.
  const written = useRef<URLSearchParams | null>(null);
  useEffect(() => {
    written.current = null;
  }, [params]);
  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(written.current ?? params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    written.current = next;
    setParams(next, { replace: true });
  };
  const choosePreset = (value: string) => {
    if (value === "custom") update({ range: null, from: from ?? isoDay(Date.now() - 29 * DAY), to: to ?? todayUtc() });
    else update({ range: value === "all" ? null : value, from: null, to: null });
  };

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="daily-title">
      <Group justify="space-between" align="flex-end" mb="sm" gap="sm">
        <div>
          <Text id="daily-title" fw={600}>
            Activity per day
          </Text>
          <Text size="xs" c="dimmed">
            Emails sent, opened, replied to and bounced, by day (UTC)
          </Text>
        </div>
        <Group gap="xs" align="flex-end">
          <SegmentedControl size="xs" data={PRESETS} value={preset} onChange={choosePreset} aria-label="Date range" />
          {preset === "custom" && (
            <>
              <TextInput
                type="date"
                size="xs"
                label="Start date"
                value={from ?? ""}
                max={to ?? undefined}
                onChange={(event) => update({ range: null, from: event.currentTarget.value || null })}
              />
              <TextInput
                type="date"
                size="xs"
                label="End date"
                value={to ?? ""}
                min={from ?? undefined}
                onChange={(event) => update({ range: null, to: event.currentTarget.value || null })}
              />
            </>
          )}
        </Group>
      </Group>
      {error && <ErrorNotice error={error} title="Could not load the daily numbers" />}
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs" mb="sm">
        {(Object.keys(totals) as (keyof typeof totals)[]).map((key) => (
          <div key={key}>
            <Text size="xs" c="dimmed">
              {SERIES_LABEL[key]} in range
            </Text>
            <Text fw={600} data-testid={`range-${key}`} data-value={totals[key]}>
              {data ? formatNumber(totals[key]) : "…"}
            </Text>
          </div>
        ))}
      </SimpleGrid>
      {!data ? (
        <Skeleton h={280} aria-label="Loading the chart" />
      ) : Object.values(totals).every((total) => total === 0) ? (
        <Text size="sm" c="dimmed" py="xl" ta="center">
          {fetching ? "Loading…" : "No emails sent, opened, replied to or bounced in this range."}
        </Text>
      ) : (
        <DailyChart data={points} />
      )}
    </Paper>
  );
}
