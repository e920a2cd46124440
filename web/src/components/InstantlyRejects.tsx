// Instantly records set aside (instantly_rejects): what failed validation
// when fetched, or could not be normalised, with the reason and the record.
import { Code, Group, Select, Text } from "@mantine/core";
import { DataTable } from "mantine-datatable";
import { useEffect, useState } from "react";
import { useQuery } from "urql";
import { formatDateTime, formatNumber, formatRelative } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { ErrorNotice } from "./States.tsx";

const InstantlyRejectsQuery = graphql(`
  query InstantlyRejects($first: Int!, $offset: Int!, $filter: InstantlyRejectFilter) {
    instantlyRejects(first: $first, offset: $offset, filter: $filter, orderBy: [RESOURCE_ASC, SOURCE_ID_ASC]) {
      totalCount
      nodes {
        rowId
        stage
        resource
        sourceId
        reason
        rawJson
        updatedAt
      }
    }
  }
`);

type Row = NonNullable<NonNullable<ResultOf<typeof InstantlyRejectsQuery>["instantlyRejects"]>["nodes"][number]>;
const PAGE_SIZE = 15;
const RESOURCES = ["campaign", "campaign_analytics", "daily_analytics", "account", "email", "lead", "webhook"];

export function InstantlyRejects({ refreshKey }: { refreshKey: number }) {
  const [page, setPage] = useState(1);
  const [resource, setResource] = useState<string | null>(null);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: InstantlyRejectsQuery,
    variables: { first: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, filter: resource ? { resource: { equalTo: resource } } : undefined },
  });
  useEffect(() => {
    if (refreshKey) reexecute({ requestPolicy: "network-only" });
  }, [refreshKey, reexecute]);
  const rows = present(data?.instantlyRejects?.nodes);
  const total = data?.instantlyRejects?.totalCount ?? 0;
  return (
    <>
      <Group justify="space-between" align="flex-end" mb="xs">
        <Text size="sm" c="dimmed" maw={640}>
          Records Instantly sent that leadgraph could not take: they failed validation when fetched (not in the raw layer), or could not be
          normalised. A later sync that gets a valid version removes them.
        </Text>
        <Select
          size="xs"
          label="Kind of record"
          placeholder="All"
          clearable
          data={RESOURCES}
          value={resource}
          onChange={(value) => {
            setResource(value);
            setPage(1);
          }}
          w={180}
        />
      </Group>
      {error && <ErrorNotice error={error} title="Could not load the records set aside" />}
      <DataTable<Row>
        aria-label="Records set aside"
        withTableBorder
        borderRadius="md"
        horizontalSpacing="xs"
        minHeight={rows.length ? undefined : 140}
        fetching={fetching && !data}
        records={rows}
        idAccessor="rowId"
        totalRecords={total}
        recordsPerPage={PAGE_SIZE}
        page={page}
        onPageChange={setPage}
        noRecordsText={resource ? "None of this kind" : "Nothing set aside"}
        rowExpansion={{
          content: ({ record }) => (
            <Code block m="xs" style={{ maxHeight: 320, overflow: "auto" }}>
              {JSON.stringify(record.rawJson, null, 2) ?? "(no record kept)"}
            </Code>
          ),
        }}
        columns={[
          { accessor: "resource", title: "Kind", noWrap: true, render: (row) => <Code>{row.resource}</Code> },
          { accessor: "stage", title: "Stage", noWrap: true },
          {
            accessor: "sourceId",
            title: "Instantly id",
            render: (row) => (
              <Text size="sm" ff="monospace" truncate maw={220} title={row.sourceId}>
                {row.sourceId}
              </Text>
            ),
          },
          {
            accessor: "reason",
            title: "Reason",
            render: (row) => (
              <Text size="sm" c="red.8" data-testid="reject-reason" miw={220} style={{ overflowWrap: "anywhere" }}>
                {row.reason}
              </Text>
            ),
          },
          {
            accessor: "updatedAt",
            title: "Seen",
            noWrap: true,
            render: (row) => <span title={formatDateTime(row.updatedAt)}>{formatRelative(row.updatedAt)}</span>,
          },
        ]}
      />
      {total > 0 && (
        <Text size="xs" c="dimmed" mt={4}>
          {formatNumber(total)} set aside · click a row to see the record as received
        </Text>
      )}
    </>
  );
}
