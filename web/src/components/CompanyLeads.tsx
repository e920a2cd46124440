// A company's leads with their lead status and, per campaign, where they stand.
import { Anchor, Group, Stack, Text, Title } from "@mantine/core";
import { DataTable } from "mantine-datatable";
import { Link } from "react-router";
import { formatNumber } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { StatusBadge } from "./LeadStatus.tsx";

export const CompanyLeadsFields = graphql(`
  fragment CompanyLeadsFields on Company @_unmask {
    rowId
    leads(first: 100, orderBy: [FULL_NAME_ASC, ROW_ID_ASC]) {
      totalCount
      nodes {
        rowId
        fullName
        email
        jobTitle
        leadStatus
        campaignLeads(first: 10, orderBy: [LAST_ACTIVITY_AT_DESC]) {
          nodes {
            rowId
            overallStatus
            emailStatus
            campaign {
              rowId
              campaignName
            }
          }
        }
      }
    }
  }
`);

type CompanyLeadsData = ResultOf<typeof CompanyLeadsFields>;
type Lead = NonNullable<CompanyLeadsData["leads"]["nodes"][number]>;

export function CompanyLeads({ company }: { company: CompanyLeadsData }) {
  const leads = present(company.leads.nodes);
  const total = company.leads.totalCount;
  return (
    <Stack gap="xs" component="section" aria-label="Leads at this company">
      <Group justify="space-between" gap="xs">
        <Title order={3}>Leads ({formatNumber(total)})</Title>
        {total > 0 && (
          <Anchor component={Link} to={`/leads?company=${company.rowId}`} size="sm">
            {total > leads.length ? `All ${formatNumber(total)} in the lead list` : "Open in the lead list"}
          </Anchor>
        )}
      </Group>
      {leads.length === 0 ? (
        <Text size="sm" c="dimmed">
          No leads at this company yet.
        </Text>
      ) : (
        <DataTable<Lead>
          aria-label="Leads at this company"
          withTableBorder
          borderRadius="md"
          striped
          idAccessor="rowId"
          records={leads}
          columns={[
            {
              accessor: "fullName",
              title: "Name",
              render: (lead) => (
                <Stack gap={0} miw={150}>
                  <Anchor component={Link} to={`/leads/${lead.rowId}`} size="sm" fw={500}>
                    {lead.fullName || lead.email || "Unnamed lead"}
                  </Anchor>
                  {lead.fullName && lead.email && (
                    <Text size="xs" c="dimmed">
                      {lead.email}
                    </Text>
                  )}
                </Stack>
              ),
            },
            { accessor: "jobTitle", title: "Title", render: (lead) => lead.jobTitle ?? "—" },
            { accessor: "leadStatus", title: "Lead status", render: (lead) => <StatusBadge status={lead.leadStatus} /> },
            {
              accessor: "campaigns",
              title: "Campaigns",
              render: (lead) => {
                const memberships = present(lead.campaignLeads.nodes);
                if (!memberships.length) return "—";
                return (
                  <Stack gap={2} miw={200}>
                    {memberships.map((membership) => (
                      <Group key={membership.rowId} gap={6} wrap="nowrap">
                        {membership.campaign ? (
                          <Anchor component={Link} to={`/campaigns/${membership.campaign.rowId}`} size="sm" truncate maw={200}>
                            {membership.campaign.campaignName}
                          </Anchor>
                        ) : (
                          <Text size="sm">—</Text>
                        )}
                        <StatusBadge status={membership.overallStatus} size="xs" />
                      </Group>
                    ))}
                  </Stack>
                );
              },
            },
          ]}
        />
      )}
    </Stack>
  );
}
