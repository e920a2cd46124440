// Webhook deliveries from Instantly (instantly_webhooks_raw): how many
// events, how many deliveries (Instantly retries), the last one, and the
// most recent events.
import { Code, Group, Paper, SimpleGrid, Text } from "@mantine/core";
import { DataTable } from "mantine-datatable";
import { useEffect } from "react";
import { useQuery } from "urql";
import { formatDateTime, formatNumber, formatRelative } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { ErrorNotice } from "./States.tsx";

const InstantlyWebhooksQuery = graphql(`
  query InstantlyWebhooks {
    instantlyWebhooksRaws(first: 10, orderBy: [RECEIVED_AT_DESC, PRIMARY_KEY_DESC]) {
      totalCount
      aggregates {
        sum {
          deliveries
        }
      }
      nodes {
        rowId
        eventType
        leadEmail
        instantlyCampaignId
        eventTimestamp
        receivedAt
        lastReceivedAt
        deliveries
      }
    }
  }
`);

type Row = NonNullable<NonNullable<ResultOf<typeof InstantlyWebhooksQuery>["instantlyWebhooksRaws"]>["nodes"][number]>;

export function InstantlyWebhooks({ refreshKey }: { refreshKey: number }) {
  const [{ data, error, fetching }, reexecute] = useQuery({ query: InstantlyWebhooksQuery });
  useEffect(() => {
    if (refreshKey) reexecute({ requestPolicy: "network-only" });
  }, [refreshKey, reexecute]);
  const webhooks = data?.instantlyWebhooksRaws;
  const rows = present(webhooks?.nodes);
  const last = rows.reduce<string | null>((latest, row) => (!latest || row.lastReceivedAt > latest ? row.lastReceivedAt : latest), null);
  return (
    <>
      {error && <ErrorNotice error={error} title="Could not load the webhook deliveries" />}
      <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm" mb="sm">
        <Paper withBorder p="sm" radius="md">
          <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
            Events received
          </Text>
          <Text fz="xl" fw={700} data-testid="webhook-count">
            {webhooks ? formatNumber(webhooks.totalCount) : "…"}
          </Text>
        </Paper>
        <Paper withBorder p="sm" radius="md">
          <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
            Deliveries (with retries)
          </Text>
          <Text fz="xl" fw={700}>
            {webhooks ? formatNumber(webhooks.aggregates?.sum?.deliveries ?? 0) : "…"}
          </Text>
        </Paper>
        <Paper withBorder p="sm" radius="md">
          <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
            Last received
          </Text>
          <Text fz="xl" fw={700} title={formatDateTime(last)}>
            {webhooks ? (last ? formatRelative(last) : "never") : "…"}
          </Text>
        </Paper>
      </SimpleGrid>
      {webhooks && webhooks.totalCount === 0 ? (
        <Text size="sm" c="dimmed">
          No webhook has arrived. To get replies and opens as they happen, set <Code>INSTANTLY_WEBHOOK_SECRET</Code> on the server and add a
          webhook in Instantly to <Code>{`${window.location.origin}/webhooks/instantly`}</Code> with the header{" "}
          <Code>X-Leadgraph-Webhook-Secret</Code> (docs/sources/instantly.md).
        </Text>
      ) : (
        <DataTable<Row>
          aria-label="Recent webhook events"
          withTableBorder
          borderRadius="md"
          horizontalSpacing="xs"
          fetching={fetching && !data}
          minHeight={rows.length ? undefined : 120}
          records={rows}
          idAccessor="rowId"
          noRecordsText="No webhook events"
          columns={[
            { accessor: "eventType", title: "Event", noWrap: true, render: (row) => <Code>{row.eventType ?? "?"}</Code> },
            { accessor: "leadEmail", title: "Lead", render: (row) => row.leadEmail ?? "—" },
            { accessor: "eventTimestamp", title: "Happened", noWrap: true, render: (row) => formatDateTime(row.eventTimestamp) },
            {
              accessor: "receivedAt",
              title: "Received",
              noWrap: true,
              render: (row) => <span title={formatDateTime(row.receivedAt)}>{formatRelative(row.receivedAt)}</span>,
            },
            {
              accessor: "deliveries",
              title: "Deliveries",
              textAlign: "right",
              render: (row) => (
                <Group gap={4} justify="flex-end" wrap="nowrap">
                  {formatNumber(row.deliveries)}
                </Group>
              ),
            },
          ]}
        />
      )}
    </>
  );
}
