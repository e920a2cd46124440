// Where a campaign's leads stand: counts by workflow (overall) status and by
// email status, each a link to the lead list filtered to those leads.
import { Anchor, Paper, Progress, Table, Text } from "@mantine/core";
import { Link } from "react-router";
import { formatNumber, formatPercent } from "../format.ts";
import { WorkflowStatusBadge } from "./CampaignBadges.tsx";

export function CampaignStatusBreakdown({
  title,
  campaignId,
  counts,
  order,
  param,
  testId,
}: {
  title: string;
  campaignId: string;
  counts: Map<string, number>;
  /** Statuses in display order; others follow. */
  order: readonly string[];
  /** The lead list's URL parameter: workflowStatus or emailStatus. */
  param: "workflowStatus" | "emailStatus";
  testId: string;
}) {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const statuses = [...order.filter((s) => counts.has(s)), ...[...counts.keys()].filter((s) => !order.includes(s))].filter(
    (s) => (counts.get(s) ?? 0) > 0,
  );
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-label={title}>
      <Text fw={600} mb="xs">
        {title}
      </Text>
      {statuses.length === 0 ? (
        <Text size="sm" c="dimmed">
          No leads in this campaign yet.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={300}>
          <Table verticalSpacing={4} data-testid={testId}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">Leads</Table.Th>
                <Table.Th w="30%">Share</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {statuses.map((status) => {
                const count = counts.get(status) ?? 0;
                return (
                  <Table.Tr key={status}>
                    <Table.Td style={{ whiteSpace: "nowrap" }}>
                      <WorkflowStatusBadge status={status} />
                    </Table.Td>
                    <Table.Td ta="right">
                      <Anchor
                        component={Link}
                        to={`/leads?campaign=${campaignId}&${param}=${encodeURIComponent(status)}`}
                        data-testid={`${testId}-${status}`}
                        data-value={count}
                        aria-label={`${formatNumber(count)} leads ${status.replace(/_/g, " ")}`}
                      >
                        {formatNumber(count)}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <Progress value={total ? (count / total) * 100 : 0} size="sm" aria-hidden />
                      <Text size="xs" c="dimmed">
                        {formatPercent(total ? count / total : 0)}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}
