// Instantly records set aside (instantly_rejects): what failed validation
// when fetched, or could not be normalised, with the reason and the record.
import { Group, Select, Text } from "@mantine/core";
import { useEffect, useState } from "react";
import { useQuery } from "urql";
import { formatNumber } from "../format.ts";
import { graphql, present } from "../graphql.ts";
import { RejectsTable } from "./RejectsTable.tsx";
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
      <RejectsTable
        label="Records set aside"
        idTitle="Instantly id"
        rows={rows}
        total={total}
        page={page}
        pageSize={PAGE_SIZE}
        onPageChange={setPage}
        fetching={fetching && !data}
        noRecordsText={resource ? "None of this kind" : "Nothing set aside"}
        minHeight={140}
      />
      {total > 0 && (
        <Text size="xs" c="dimmed" mt={4}>
          {formatNumber(total)} set aside · click a row to see the record as received
        </Text>
      )}
    </>
  );
}
