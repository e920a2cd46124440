// A timeline of events, newest first, grouped by month, with a chip per
// source and infinite scroll. The caller says which events (a lead's, or all
// of a company's leads') with an EventFilter; the lead and company pages share it.
import { Box, Button, Chip, Group, Stack, Text, Title } from "@mantine/core";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useClient, useQuery } from "urql";
import { errorText } from "../client.ts";
import { formatNumber } from "../format.ts";
import { graphql, present, readFragment, type VariablesOf } from "../graphql.ts";
import { Empty, ErrorNotice, Loading } from "./States.tsx";
import { LinkedinConversation, TIMELINE_SOURCES, TimelineEvent, TimelineEventFields, type TimelineEventData } from "./TimelineEvent.tsx";

const PAGE_SIZE = 25;
const POLL_MS = 30_000;

const TimelineQuery = graphql(
  `
    query Timeline($filter: EventFilter!, $first: Int!, $after: Cursor, $withLead: Boolean!) {
      events(filter: $filter, first: $first, after: $after, orderBy: [EVENT_TIMESTAMP_DESC, ROW_ID_DESC]) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          ...TimelineEventFields
          lead @include(if: $withLead) {
            rowId
            fullName
            email
          }
        }
      }
    }
  `,
  [TimelineEventFields],
);

const TimelineSourceCountsQuery = graphql(`
  query TimelineSourceCounts($filter: EventFilter!) {
    events(filter: $filter) {
      groupedAggregates(groupBy: [EVENT_SOURCE]) {
        keys
        distinctCount {
          rowId
        }
      }
    }
  }
`);

export type EventFilter = VariablesOf<typeof TimelineQuery>["filter"];

interface Loaded {
  key: string;
  events: TimelineEventData[];
  totalCount: number | null;
  endCursor: string | null;
  hasNextPage: boolean;
  /** Pages fetched after the first: while 0, a refreshed first page may move the cursor. */
  extraPages: number;
}

const emptyState = (key: string): Loaded => ({ key, events: [], totalCount: null, endCursor: null, hasNextPage: false, extraPages: 0 });

const byNewest = (a: TimelineEventData, b: TimelineEventData) =>
  b.eventTimestamp.localeCompare(a.eventTimestamp) || b.rowId.localeCompare(a.rowId);

/** Adds events to those shown (the newest page again after a poll or a new note, or an older page), without doubles. */
function merge(events: TimelineEventData[], more: TimelineEventData[]): TimelineEventData[] {
  const byId = new Map(events.map((event) => [event.rowId, event]));
  for (const event of more) byId.set(event.rowId, event);
  return [...byId.values()].sort(byNewest);
}

/**
 * The events of `filter`, a page at a time. The first page is fetched again
 * on every poll and `refresh()`; older pages are appended by `loadMore()`.
 * Cursors are keyset cursors, so events that arrive meanwhile do not shift them.
 */
function useTimelineEvents(filter: EventFilter, withLead: boolean) {
  const client = useClient();
  const key = JSON.stringify([filter, withLead]);
  const [loaded, setLoaded] = useState<Loaded>(() => emptyState(key));
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const current = loaded.key === key ? loaded : emptyState(key);
  const keyRef = useRef(key);
  keyRef.current = key;

  const fetchPage = useCallback(
    async (after: string | null) => {
      const result = await client
        .query(TimelineQuery, { filter, first: PAGE_SIZE, after, withLead }, { requestPolicy: "network-only" })
        .toPromise();
      if (result.error || !result.data) throw new Error(errorText(result.error) ?? "No answer from the server");
      const connection = result.data.events;
      if (!connection) throw new Error("No events in the answer");
      const events = present(connection.nodes).map((node) => ({
        ...readFragment(TimelineEventFields, node),
        lead: "lead" in node ? node.lead : undefined,
      }));
      return { events, connection };
    },
    // `key` stands for filter and withLead (a new object each render).
    [client, key],
  );

  const refresh = useCallback(async () => {
    const requestKey = key;
    setLoading(true);
    try {
      const { events, connection } = await fetchPage(null);
      if (keyRef.current !== requestKey) return;
      setError(null);
      setLoaded((state) => {
        const base = state.key === requestKey ? state : emptyState(requestKey);
        const firstOnly = base.extraPages === 0;
        return {
          ...base,
          events: merge(base.events, events),
          totalCount: connection.totalCount,
          endCursor: firstOnly ? (connection.pageInfo.endCursor ?? null) : base.endCursor,
          hasNextPage: firstOnly ? connection.pageInfo.hasNextPage : base.hasNextPage,
        };
      });
    } catch (e) {
      if (keyRef.current === requestKey) setError((e as Error).message);
    } finally {
      if (keyRef.current === requestKey) setLoading(false);
    }
  }, [fetchPage, key]);

  const loadingMoreRef = useRef(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const loadMore = useCallback(async () => {
    if (loadingMoreRef.current || !current.hasNextPage || !current.endCursor) return;
    const requestKey = key;
    loadingMoreRef.current = true;
    setLoadingMore(true);
    try {
      const { events, connection } = await fetchPage(current.endCursor);
      if (keyRef.current !== requestKey) return;
      setError(null);
      setLoaded((state) => ({
        ...state,
        events: merge(state.events, events),
        totalCount: connection.totalCount,
        endCursor: connection.pageInfo.endCursor ?? state.endCursor,
        hasNextPage: connection.pageInfo.hasNextPage,
        extraPages: state.extraPages + 1,
      }));
    } catch (e) {
      if (keyRef.current === requestKey) setError((e as Error).message);
    } finally {
      loadingMoreRef.current = false;
      setLoadingMore(false);
    }
  }, [current.endCursor, current.hasNextPage, fetchPage, key]);

  useEffect(() => {
    setLoaded(emptyState(key));
    void refresh();
    // Live updates by polling (no subscriptions): the newest page again, while the tab is visible.
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void refresh();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [key, refresh]);

  return { ...current, loading, loadingMore, error, refresh, loadMore };
}

const monthFormat = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" });

/** A row of the timeline: one event, or consecutive LinkedIn touches shown as one conversation. */
type TimelineItem = { key: string; at: string; event: TimelineEventData } | { key: string; at: string; conversation: TimelineEventData[] };

function toItems(events: TimelineEventData[]): TimelineItem[] {
  const items: TimelineItem[] = [];
  let run: TimelineEventData[] = [];
  const flush = () => {
    if (run.length > 1) items.push({ key: `linkedin-${run[0]!.rowId}`, at: run[0]!.eventTimestamp, conversation: run });
    else if (run.length === 1) items.push({ key: run[0]!.rowId, at: run[0]!.eventTimestamp, event: run[0]! });
    run = [];
  };
  for (const event of events) {
    // A company's timeline mixes leads: a conversation is one lead's.
    if (event.eventSource === "linkedin" && (run.length === 0 || run[0]!.lead?.rowId === event.lead?.rowId)) {
      run.push(event);
      continue;
    }
    flush();
    if (event.eventSource === "linkedin") run.push(event);
    else items.push({ key: event.rowId, at: event.eventTimestamp, event });
  }
  flush();
  return items;
}

function groupByMonth(events: TimelineEventData[]) {
  const groups: { key: string; label: string; items: TimelineItem[] }[] = [];
  for (const item of toItems(events)) {
    const date = new Date(item.at);
    const key = `${date.getFullYear()}-${date.getMonth()}`;
    if (groups.at(-1)?.key !== key) groups.push({ key, label: monthFormat.format(date), items: [] });
    groups.at(-1)!.items.push(item);
  }
  return groups;
}

export interface TimelineProps {
  /** Which events: e.g. `{leadId: {equalTo: id}}`, or `{lead: {companyId: {equalTo: id}}}`. */
  filter: EventFilter;
  /** Name the lead on each row (a company's timeline). */
  showLead?: boolean;
  /** Change it to fetch the newest events now (after adding a note). */
  reloadSignal?: number;
  /** What to say when there are no events at all. */
  emptyText?: string;
}

export function Timeline({ filter, showLead = false, reloadSignal = 0, emptyText = "Nothing has happened yet." }: TimelineProps) {
  const [sources, setSources] = useState<string[]>([]);
  // The caller's filter is a new object each render: keep one per content.
  const filterKey = JSON.stringify(filter);
  const baseFilter = useMemo(() => JSON.parse(filterKey) as EventFilter, [filterKey]);
  const shownFilter = useMemo<EventFilter>(
    () => (sources.length ? { and: [baseFilter, { eventSource: { in: sources } }] } : baseFilter),
    [baseFilter, sources],
  );
  const timeline = useTimelineEvents(shownFilter, showLead);
  const [counts, refetchCounts] = useQuery({ query: TimelineSourceCountsQuery, variables: { filter: baseFilter } });

  const { refresh } = timeline;
  useEffect(() => {
    if (reloadSignal === 0) return;
    void refresh();
    refetchCounts({ requestPolicy: "network-only" });
  }, [reloadSignal, refresh, refetchCounts]);

  const countBySource = new Map(
    (counts.data?.events?.groupedAggregates ?? []).map((group) => [group.keys?.[0] ?? "", Number(group.distinctCount?.rowId ?? 0)]),
  );
  const allCount = [...countBySource.values()].reduce((sum, n) => sum + n, 0);

  // Infinite scroll: load the next page when the end of the list comes into view.
  const sentinel = useRef<HTMLDivElement>(null);
  const { loadMore, hasNextPage } = timeline;
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !hasNextPage) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) void loadMore();
      },
      { rootMargin: "300px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [hasNextPage, loadMore]);

  const groups = groupByMonth(timeline.events);
  const firstLoad = timeline.totalCount == null;

  return (
    <Box component="section" aria-label="Timeline">
      <Group justify="space-between" mb="sm" gap="xs">
        <Title order={3}>Timeline</Title>
        {timeline.totalCount != null && (
          <Text size="sm" c="dimmed" role="status">
            {formatNumber(timeline.events.length)} of {formatNumber(timeline.totalCount)} events
          </Text>
        )}
      </Group>
      <Chip.Group multiple value={sources} onChange={setSources}>
        <Group gap={6} mb="md" role="group" aria-label="Filter by source">
          {TIMELINE_SOURCES.map((source) => (
            <Chip key={source.value} value={source.value} size="xs" color={source.color} variant="outline">
              {source.label}
              {counts.data && ` ${formatNumber(countBySource.get(source.value) ?? 0)}`}
            </Chip>
          ))}
          {sources.length > 0 && (
            <Button variant="subtle" size="compact-xs" onClick={() => setSources([])}>
              Show all
            </Button>
          )}
        </Group>
      </Chip.Group>
      {timeline.error && <ErrorNotice error={timeline.error} title="The timeline could not be loaded" />}
      {firstLoad && !timeline.error && <Loading label="Loading the timeline…" />}
      {!firstLoad && timeline.events.length === 0 && (
        <Empty title={sources.length && allCount > 0 ? "No matching events" : "No events yet"}>
          {sources.length && allCount > 0 ? "No events from the chosen sources. Pick another chip, or show all." : emptyText}
        </Empty>
      )}
      <Stack gap="lg">
        {groups.map((group) => (
          <Box key={group.key}>
            <Text size="xs" fw={700} tt="uppercase" c="dimmed" mb="xs" component="h4" m={0} pb="xs">
              {group.label}
            </Text>
            <Stack component="ul" aria-label={group.label} gap="md" m={0} p={0} style={{ listStyle: "none" }}>
              {group.items.map((item) =>
                "event" in item ? (
                  <li key={item.key} data-event-source={item.event.eventSource} data-event-type={item.event.eventType}>
                    <TimelineEvent event={item.event} showLead={showLead} />
                  </li>
                ) : (
                  <li key={item.key} data-event-source="linkedin" data-event-type="linkedin_conversation">
                    <LinkedinConversation events={item.conversation} showLead={showLead} />
                  </li>
                ),
              )}
            </Stack>
          </Box>
        ))}
      </Stack>
      <div ref={sentinel} aria-hidden style={{ height: 1 }} />
      {timeline.hasNextPage && (
        <Group justify="center" mt="md">
          <Button variant="default" onClick={() => void loadMore()} loading={timeline.loadingMore}>
            Load more
          </Button>
        </Group>
      )}
    </Box>
  );
}
