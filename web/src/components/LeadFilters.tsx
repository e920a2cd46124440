// The facets of the lead list: one labelled control per URL parameter of
// pages/Leads.tsx. The options come from the data (campaigns, imports,
// the seniorities and industries present), from the schema's vocabularies,
// or are fixed (company sizes, as ranges of employees).
import { Button, Collapse, Group, MultiSelect, Pill, Select, SimpleGrid } from "@mantine/core";
import { useDisclosure, useMediaQuery } from "@mantine/hooks";
import { IconFilter, IconX } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { useQuery } from "urql";
import { formatDate, formatNumber } from "../format.ts";
import { graphql, present } from "../graphql.ts";
import type { FlagParam, LeadListParams, MultiParam } from "../pages/Leads.tsx";
import { CAMPAIGN_EMAIL_STATUSES, humanize, LEAD_SOURCES, LEAD_STATUSES, WORKFLOW_STATUSES } from "./LeadStatus.tsx";

const LeadFacetsQuery = graphql(`
  query LeadFacets {
    campaigns(orderBy: [CAMPAIGN_NAME_ASC]) {
      nodes {
        rowId
        campaignName
      }
    }
    csvImportsRaws(orderBy: [UPLOADED_AT_DESC], first: 200) {
      nodes {
        rowId
        fileName
        uploadedAt
      }
    }
    leads {
      seniorities: groupedAggregates(groupBy: [SENIORITY]) {
        keys
      }
    }
    companies {
      industries: groupedAggregates(groupBy: [INDUSTRY]) {
        keys
      }
    }
  }
`);

const CompanyNamesQuery = graphql(`
  query LeadFilterCompanies($rowIds: [UUID!]!) {
    companies(filter: { rowId: { in: $rowIds } }) {
      nodes {
        rowId
        companyName
        companyDomain
      }
    }
  }
`);

type Option = { value: string; label: string };

/** The distinct values of a grouped aggregate, sorted, without the empty group. */
const keysOf = (groups: readonly { keys: readonly (string | null)[] | null }[] | null | undefined): Option[] =>
  (groups ?? [])
    .map((group) => group.keys?.[0])
    .filter((key): key is string => Boolean(key))
    .sort((a, b) => a.localeCompare(b))
    .map((value) => ({ value, label: value }));

/** Values in the URL that the options do not list (yet) still show, as themselves. */
const withSelected = (options: Option[], selected: string[]): Option[] => [
  ...options,
  ...selected.filter((value) => !options.some((option) => option.value === value)).map((value) => ({ value, label: value })),
];

/** The company sizes the filters offer, as employee counts (Company.employeeCount). */
const COMPANY_SIZES = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5000+"];

type EmployeeCountFilter = { greaterThanOrEqualTo: number; lessThanOrEqualTo?: number };

/** "11-50" -> 11 to 50 employees, "5000+" -> more than 5000; anything else -> null. */
export function employeeRange(value: string): EmployeeCountFilter | null {
  const between = /^(\d+)-(\d+)$/.exec(value);
  if (between) return { greaterThanOrEqualTo: Number(between[1]), lessThanOrEqualTo: Number(between[2]) };
  const above = /^(\d+)\+$/.exec(value);
  return above ? { greaterThanOrEqualTo: Number(above[1]) + 1 } : null;
}

/** "11-50" -> "11–50 employees", "5000+" -> "More than 5,000 employees". */
function sizeLabel(value: string): string {
  const range = employeeRange(value);
  if (!range) return value;
  if (range.lessThanOrEqualTo == null) return `More than ${formatNumber(range.greaterThanOrEqualTo - 1)} employees`;
  return `${formatNumber(range.greaterThanOrEqualTo)}–${formatNumber(range.lessThanOrEqualTo)} employees`;
}
const SIZE_OPTIONS: Option[] = COMPANY_SIZES.map((value) => ({ value, label: sizeLabel(value) }));

const FLAG_OPTIONS = [
  { value: "true", label: "Yes" },
  { value: "false", label: "No" },
];

export interface LeadFiltersProps {
  params: LeadListParams;
  onChange(name: MultiParam, values: string[]): void;
  onFlagChange(name: FlagParam, value: boolean | null): void;
  /** Present when a filter is set. */
  onClear?: () => void;
  /** Shown in the row of the Filters button, first (the search box). */
  toolbar?: ReactNode;
}

export function LeadFilters({ params, onChange, onFlagChange, onClear, toolbar }: LeadFiltersProps) {
  const wide = useMediaQuery("(min-width: 48em)", true, { getInitialValueInEffect: false });
  const [opened, { toggle }] = useDisclosure(wide);
  const [{ data }] = useQuery({ query: LeadFacetsQuery });
  const companyIds = params.multi.company;
  const [companies] = useQuery({ query: CompanyNamesQuery, variables: { rowIds: companyIds }, pause: companyIds.length === 0 });

  const active =
    Object.entries(params.multi).filter(([name, values]) => name !== "company" && values.length > 0).length +
    Object.values(params.flags).filter((value) => value != null).length;

  const multi = (name: MultiParam, label: string, options: Option[]) => (
    <div key={name}>
      <MultiSelect
        label={label}
        placeholder={params.multi[name].length ? undefined : "Any"}
        data={withSelected(options, params.multi[name])}
        value={params.multi[name]}
        onChange={(values) => onChange(name, values)}
        size="xs"
        searchable
        clearable
        nothingFoundMessage="Nothing found"
        comboboxProps={{ withinPortal: true }}
      />
    </div>
  );

  const flag = (name: FlagParam, label: string) => {
    const value = params.flags[name];
    return (
      <div key={name}>
        <Select
          label={label}
          placeholder="Any"
          data={FLAG_OPTIONS}
          value={value == null ? null : String(value)}
          onChange={(next) => onFlagChange(name, next == null ? null : next === "true")}
          clearable
          size="xs"
        />
      </div>
    );
  };

  const campaigns = present(data?.campaigns?.nodes).map((c) => ({ value: c.rowId, label: c.campaignName }));
  const imports = present(data?.csvImportsRaws?.nodes).map((i) => ({
    value: i.rowId,
    label: `${i.fileName} (${formatDate(i.uploadedAt)})`,
  }));
  const companyPills = companyIds.map((rowId) => {
    const company = present(companies.data?.companies?.nodes).find((c) => c.rowId === rowId);
    return { rowId, label: company?.companyName || company?.companyDomain || "a company" };
  });

  return (
    <>
      <Group gap="xs">
        {toolbar}
        <Button
          variant="default"
          leftSection={<IconFilter size={14} aria-hidden />}
          onClick={toggle}
          aria-expanded={opened}
          aria-controls="lead-filters"
        >
          {active ? `Filters (${active})` : "Filters"}
        </Button>
        {companyPills.map((company) => (
          <Pill
            key={company.rowId}
            withRemoveButton
            onRemove={() =>
              onChange(
                "company",
                companyIds.filter((id) => id !== company.rowId),
              )
            }
            removeButtonProps={{ "aria-label": `Remove the filter on ${company.label}` }}
          >
            Company: {company.label}
          </Pill>
        ))}
        {onClear && (
          <Button variant="subtle" leftSection={<IconX size={14} aria-hidden />} onClick={onClear}>
            Clear filters
          </Button>
        )}
      </Group>
      <Collapse expanded={opened} id="lead-filters" mt={-4}>
        <SimpleGrid cols={{ base: 1, xs: 2, sm: 3, md: 4, xl: 6 }} spacing="xs" verticalSpacing="xs" role="group" aria-label="Lead filters">
          {multi("leadStatus", "Lead status", LEAD_STATUSES)}
          {multi("campaign", "Campaign", campaigns)}
          {multi("workflowStatus", "Campaign status", WORKFLOW_STATUSES)}
          {multi("emailStatus", "Campaign email status", CAMPAIGN_EMAIL_STATUSES)}
          {multi(
            "seniority",
            "Seniority",
            keysOf(data?.leads?.seniorities).map((o) => ({ ...o, label: humanize(o.value) })),
          )}
          {multi("industry", "Industry", keysOf(data?.companies?.industries))}
          {multi("companySize", "Company size", SIZE_OPTIONS)}
          {multi("source", "Source", LEAD_SOURCES)}
          {multi("import", "Import", imports)}
          {flag("hasPhone", "Has phone")}
          {flag("hasLinkedin", "Has LinkedIn")}
        </SimpleGrid>
      </Collapse>
    </>
  );
}
