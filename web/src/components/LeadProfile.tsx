// The lead page's side cards: who the lead is, and their company.
import { Anchor, Card, DataList, Group, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { formatDate, formatNumber } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { humanize, sourceLabel } from "./LeadStatus.tsx";

export const LeadProfileFields = graphql(`
  fragment LeadProfileFields on Lead @_unmask {
    rowId
    fullName
    email
    secondaryEmail
    emailStatus
    jobTitle
    seniority
    departments
    leadSource
    leadScore
    phone
    mobilePhone
    phones
    linkedinUrl
    twitterUrl
    city
    state
    country
    createdAt
    csvImport {
      rowId
      fileName
      uploadedAt
    }
    company {
      rowId
      companyName
      companyDomain
      industry
      companySize
      employeeCount
      city
      country
    }
  }
`);

type LeadProfileData = ResultOf<typeof LeadProfileFields>;

/** "Berlin, Germany" from the parts that are there. */
export const place = (...parts: (string | null | undefined)[]) => parts.filter(Boolean).join(", ") || null;

/** A label and its value; nothing when there is no value. */
export function Field({ label, children }: { label: string; children: ReactNode }) {
  if (children == null || children === false || children === "") return null;
  return (
    <DataList.Item>
      <DataList.ItemLabel>{label}</DataList.ItemLabel>
      <DataList.ItemValue style={{ overflowWrap: "anywhere", minWidth: 0 }}>{children}</DataList.ItemValue>
    </DataList.Item>
  );
}

export const externalUrl = (url: string) => (/^https?:\/\//i.test(url) ? url : `https://${url}`);

export function LeadProfileCard({ lead }: { lead: LeadProfileData }) {
  const phones = [...new Set([lead.phone, lead.mobilePhone, ...present(lead.phones)].filter((p): p is string => Boolean(p)))];
  return (
    <Card withBorder component="section" aria-label="Profile">
      <Title order={3} size="h5" mb="sm">
        Profile
      </Title>
      <DataList size="sm" labelWidth={110} gap="xs">
        <Field label="Email">
          {lead.email && (
            <>
              <Anchor href={`mailto:${lead.email}`} size="sm">
                {lead.email}
              </Anchor>
              {lead.emailStatus && (
                <Text span size="xs" c="dimmed">
                  {" "}
                  ({lead.emailStatus})
                </Text>
              )}
            </>
          )}
        </Field>
        <Field label="Other email">
          {lead.secondaryEmail && (
            <Anchor href={`mailto:${lead.secondaryEmail}`} size="sm">
              {lead.secondaryEmail}
            </Anchor>
          )}
        </Field>
        <Field label={phones.length > 1 ? "Phones" : "Phone"}>
          {phones.length > 0 && (
            <Group gap={4} component="span" style={{ flexDirection: "column", alignItems: "flex-start" }}>
              {phones.map((phone) => (
                <Anchor key={phone} href={`tel:${phone.replace(/[^\d+]/g, "")}`} size="sm">
                  {phone}
                </Anchor>
              ))}
            </Group>
          )}
        </Field>
        <Field label="LinkedIn">
          {lead.linkedinUrl && (
            <Anchor href={externalUrl(lead.linkedinUrl)} target="_blank" rel="noreferrer" size="sm">
              {lead.linkedinUrl.replace(/^https?:\/\/(www\.)?/, "")}
            </Anchor>
          )}
        </Field>
        <Field label="Title">{lead.jobTitle}</Field>
        <Field label="Seniority">{lead.seniority && humanize(lead.seniority)}</Field>
        <Field label="Departments">{present(lead.departments).join(", ")}</Field>
        <Field label="Location">{place(lead.city, lead.state, lead.country)}</Field>
        <Field label="Source">{sourceLabel(lead.leadSource)}</Field>
        <Field label="Imported by">
          {lead.csvImport && (
            <Anchor component={Link} to={`/imports/${lead.csvImport.rowId}`} size="sm">
              {lead.csvImport.fileName}
            </Anchor>
          )}
        </Field>
        <Field label="Lead score">{lead.leadScore != null && formatNumber(lead.leadScore)}</Field>
        <Field label="Added">{formatDate(lead.createdAt)}</Field>
      </DataList>
    </Card>
  );
}

export function LeadCompanyCard({ company }: { company: LeadProfileData["company"] }) {
  return (
    <Card withBorder component="section" aria-label="Company">
      <Title order={3} size="h5" mb="sm">
        Company
      </Title>
      {company ? (
        <>
          <Anchor component={Link} to={`/companies/${company.rowId}`} fw={600}>
            {company.companyName || company.companyDomain || "Unnamed company"}
          </Anchor>
          <DataList size="sm" labelWidth={110} gap="xs" mt="xs">
            <Field label="Domain">
              {company.companyDomain && (
                <Anchor href={externalUrl(company.companyDomain)} target="_blank" rel="noreferrer" size="sm">
                  {company.companyDomain}
                </Anchor>
              )}
            </Field>
            <Field label="Industry">{company.industry}</Field>
            <Field label="Size">
              {company.companySize ?? (company.employeeCount != null ? `${formatNumber(company.employeeCount)} employees` : null)}
            </Field>
            <Field label="Location">{place(company.city, company.country)}</Field>
          </DataList>
        </>
      ) : (
        <Text size="sm" c="dimmed">
          No company known for this lead.
        </Text>
      )}
    </Card>
  );
}
