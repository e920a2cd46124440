// The latest calls, newest first: VAPI's (events with eventSource "vapi",
// one per call outcome) and those logged by hand (call_logged), with the
// outcome, the duration and the lead.
import { Anchor, Text } from "@mantine/core";
import { DataTable } from "mantine-datatable";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { formatDateTime, formatNumber, formatRelative } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { ErrorNotice } from "./States.tsx";
import { CallOutcomeBadge, formatDuration } from "./TimelineEvent.tsx";

const RecentCallsQuery = graphql(`
  query RecentCalls($first: Int!, $offset: Int!) {
    events(
      first: $first
      offset: $offset
      filter: { or: [{ eventSource: { equalTo: "vapi" } }, { eventType: { equalTo: "call_logged" } }] }
      orderBy: [EVENT_TIMESTAMP_DESC, ROW_ID_DESC]
    ) {
      totalCount
      nodes {
        rowId
        eventSource
        eventType
        eventTimestamp
        callOutcome
        callDurationSeconds
        callRecordingUrl
        vapiCallId
        lead {
          rowId
          fullName
          email
        }
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
    }
  }
`);

type Row = NonNullable<NonNullable<ResultOf<typeof RecentCallsQuery>["events"]>["nodes"][number]>;
const PAGE_SIZE = 10;

export function RecentCalls({ refreshKey = 0 }: { refreshKey?: number }) {
  const [page, setPage] = useState(1);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: RecentCallsQuery,
    variables: { first: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE },
  });
  useEffect(() => {
    if (refreshKey) reexecute({ requestPolicy: "network-only" });
  }, [refreshKey, reexecute]);
  const rows = present(data?.events?.nodes);
  const total = data?.events?.totalCount ?? 0;
  return (
    <>
      {error && <ErrorNotice error={error} title="Could not load the recent calls" />}
      <DataTable<Row>
        aria-label="Recent calls"
        withTableBorder
        borderRadius="md"
        horizontalSpacing="xs"
        highlightOnHover
        minHeight={rows.length ? undefined : 120}
        fetching={fetching && !data}
        records={rows}
        idAccessor="rowId"
        totalRecords={total}
        recordsPerPage={PAGE_SIZE}
        page={page}
        onPageChange={setPage}
        noRecordsText="No call yet"
        columns={[
          {
            accessor: "eventTimestamp",
            title: "When",
            noWrap: true,
            render: (row) => <span title={formatDateTime(row.eventTimestamp)}>{formatRelative(row.eventTimestamp)}</span>,
          },
          {
            accessor: "lead",
            title: "Lead",
            render: (row) =>
              row.lead ? (
                <Anchor component={Link} to={`/leads/${row.lead.rowId}`} size="sm">
                  {row.lead.fullName || row.lead.email || "Unnamed lead"}
                </Anchor>
              ) : (
                "—"
              ),
          },
          {
            accessor: "callOutcome",
            title: "Outcome",
            noWrap: true,
            render: (row) => <CallOutcomeBadge outcome={row.callOutcome} eventType={row.eventType} />,
          },
          {
            accessor: "callDurationSeconds",
            title: "Duration",
            textAlign: "right",
            noWrap: true,
            render: (row) => formatDuration(row.callDurationSeconds) ?? "—",
          },
          {
            accessor: "campaign",
            title: "Campaign",
            render: (row) =>
              row.campaign ? (
                <Anchor component={Link} to={`/campaigns/${row.campaign.rowId}`} size="sm">
                  {row.campaign.campaignName}
                </Anchor>
              ) : (
                "—"
              ),
          },
          {
            accessor: "by",
            title: "By",
            render: (row) =>
              row.eventSource === "vapi" ? (
                <Text size="sm" c="dimmed">
                  VAPI{row.callRecordingUrl ? " · recorded" : ""}
                </Text>
              ) : (
                `${row.performer?.fullName || row.performer?.email || "someone"} (logged)`
              ),
          },
        ]}
      />
      {total > 0 && (
        <Text size="xs" c="dimmed" mt={4}>
          {formatNumber(total)} calls · the recording and transcript are on the lead&apos;s page
        </Text>
      )}
    </>
  );
}
