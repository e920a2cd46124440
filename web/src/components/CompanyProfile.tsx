// A company's firmographics: what the sources (an Apollo CSV, Instantly) told us.
import { Anchor, Card, DataList, Group, Pill, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import { formatDate, formatNumber } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { externalUrl, Field, place } from "./LeadProfile.tsx";

export const CompanyProfileFields = graphql(`
  fragment CompanyProfileFields on Company @_unmask {
    rowId
    companyName
    companyDomain
    website
    industry
    companySize
    employeeCount
    annualRevenue
    foundedYear
    address
    city
    state
    country
    companyPhone
    linkedinUrl
    twitterUrl
    facebookUrl
    description
    keywords
    technologies
    latestFunding
    totalFunding
    createdAt
    firstSeenInCsv {
      rowId
      fileName
      uploadedAt
    }
    lastSeenInCsv {
      rowId
      fileName
      uploadedAt
    }
  }
`);

type Company = ResultOf<typeof CompanyProfileFields>;

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
const money = (value: string | null) => (value == null ? null : compact.format(Number(value)));

function ExternalLink({ url, label }: { url: string | null; label?: string }) {
  if (!url) return null;
  return (
    <Anchor href={externalUrl(url)} target="_blank" rel="noreferrer" size="sm">
      {label ?? url.replace(/^https?:\/\/(www\.)?/, "").replace(/\/$/, "")}
    </Anchor>
  );
}

function Pills({ values }: { values: readonly (string | null)[] }) {
  const items = present(values);
  if (!items.length) return null;
  return (
    <Group gap={4}>
      {items.map((item) => (
        <Pill key={item} size="sm">
          {item}
        </Pill>
      ))}
    </Group>
  );
}

export function CompanyProfileCard({ company }: { company: Company }) {
  const website = company.website && company.website.replace(/^https?:\/\/(www\.)?/, "").replace(/\/$/, "") !== company.companyDomain;
  return (
    <Card withBorder component="section" aria-label="Firmographics">
      <Title order={3} size="h5" mb="sm">
        Firmographics
      </Title>
      {company.description && (
        <Text size="sm" mb="sm" style={{ whiteSpace: "pre-wrap" }}>
          {company.description}
        </Text>
      )}
      <DataList size="sm" labelWidth={110} gap="xs">
        <Field label="Domain">{company.companyDomain && <ExternalLink url={company.companyDomain} />}</Field>
        <Field label="Website">{website && <ExternalLink url={company.website} />}</Field>
        <Field label="Industry">{company.industry}</Field>
        <Field label="Size">{company.companySize}</Field>
        <Field label="Employees">{company.employeeCount != null && formatNumber(company.employeeCount)}</Field>
        <Field label="Revenue">{money(company.annualRevenue)}</Field>
        <Field label="Founded">{company.foundedYear != null && String(company.foundedYear)}</Field>
        <Field label="Location">{place(company.city, company.state, company.country)}</Field>
        <Field label="Address">{company.address}</Field>
        <Field label="Phone">
          {company.companyPhone && (
            <Anchor href={`tel:${company.companyPhone.replace(/[^\d+]/g, "")}`} size="sm">
              {company.companyPhone}
            </Anchor>
          )}
        </Field>
        <Field label="LinkedIn">{company.linkedinUrl && <ExternalLink url={company.linkedinUrl} label="Company page" />}</Field>
        <Field label="Twitter">{company.twitterUrl && <ExternalLink url={company.twitterUrl} />}</Field>
        <Field label="Facebook">{company.facebookUrl && <ExternalLink url={company.facebookUrl} />}</Field>
        <Field label="Latest funding">{company.latestFunding}</Field>
        <Field label="Total funding">{money(company.totalFunding)}</Field>
        <Field label="Keywords">{company.keywords.length > 0 && <Pills values={company.keywords} />}</Field>
        <Field label="Technologies">{company.technologies.length > 0 && <Pills values={company.technologies} />}</Field>
        <Field label="First seen">
          {company.firstSeenInCsv ? (
            <Anchor component={Link} to={`/imports/${company.firstSeenInCsv.rowId}`} size="sm">
              {company.firstSeenInCsv.fileName}
            </Anchor>
          ) : (
            formatDate(company.createdAt)
          )}
        </Field>
        <Field label="Last import">
          {company.lastSeenInCsv && company.lastSeenInCsv.rowId !== company.firstSeenInCsv?.rowId && (
            <Anchor component={Link} to={`/imports/${company.lastSeenInCsv.rowId}`} size="sm">
              {company.lastSeenInCsv.fileName}
            </Anchor>
          )}
        </Field>
      </DataList>
    </Card>
  );
}
