// The company page (/companies/:companyId, by Company.rowId): firmographics,
// its leads with their statuses, and one timeline of all its leads' events.
import { Anchor, Grid, Stack, Text, Title } from "@mantine/core";
import { useDocumentTitle } from "@mantine/hooks";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { CompanyLeads, CompanyLeadsFields } from "../components/CompanyLeads.tsx";
import { CompanyProfileCard, CompanyProfileFields } from "../components/CompanyProfile.tsx";
import { externalUrl } from "../components/LeadProfile.tsx";
import { Empty, ErrorNotice, Loading, PageTitle } from "../components/States.tsx";
import { Timeline } from "../components/Timeline.tsx";
import { graphql } from "../graphql.ts";
import { isUuid } from "./Lead.tsx";

const CompanyPageQuery = graphql(
  `
    query CompanyPage($rowId: UUID!) {
      company(rowId: $rowId) {
        rowId
        companyName
        companyDomain
        industry
        ...CompanyProfileFields
        ...CompanyLeadsFields
      }
    }
  `,
  [CompanyProfileFields, CompanyLeadsFields],
);

export function CompanyPage() {
  const { companyId } = useParams();
  if (!isUuid(companyId)) return <CompanyNotFound />;
  return <CompanyView key={companyId} companyId={companyId} />;
}

function CompanyNotFound() {
  useDocumentTitle("Company not found · leadgraph");
  return (
    <>
      <PageTitle>Company not found</PageTitle>
      <Empty title="No company with this id">
        It may have been merged into another company or deleted.{" "}
        <Anchor component={Link} to="/leads">
          Back to the leads
        </Anchor>
        .
      </Empty>
    </>
  );
}

function CompanyView({ companyId }: { companyId: string }) {
  const [{ data, fetching, error }] = useQuery({ query: CompanyPageQuery, variables: { rowId: companyId } });
  const company = data?.company;
  const name = company ? company.companyName || company.companyDomain || "Unnamed company" : "Company";
  useDocumentTitle(`${name} · leadgraph`);

  if (!data && fetching) return <Loading label="Loading the company…" />;
  if (error && !data) return <ErrorNotice error={error} title="The company could not be loaded" />;
  if (!company) return <CompanyNotFound />;

  return (
    <>
      <Stack gap={2} mb="md">
        <Title order={2} style={{ overflowWrap: "anywhere" }}>
          {name}
        </Title>
        {(company.companyDomain || company.industry) && (
          <Text c="dimmed">
            {company.companyDomain && (
              <Anchor href={externalUrl(company.companyDomain)} target="_blank" rel="noreferrer">
                {company.companyDomain}
              </Anchor>
            )}
            {company.companyDomain && company.industry && " · "}
            {company.industry}
          </Text>
        )}
      </Stack>
      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 4 }}>
          <CompanyProfileCard company={company} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Stack gap="xl">
            <CompanyLeads company={company} />
            <Timeline
              filter={{ lead: { companyId: { equalTo: company.rowId } } }}
              showLead
              emptyText="None of this company's leads has any event yet."
            />
          </Stack>
        </Grid.Col>
      </Grid>
    </>
  );
}
