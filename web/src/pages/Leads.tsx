// The lead list: a server-paginated, sortable, filterable table of leads.
//
// Every filter, the sort and the page live in the URL's query string, so a
// view can be bookmarked, shared or linked to (a dashboard links to
// `/leads?campaign=<rowId>&workflowStatus=replied`). Parameters; those marked
// [many] may repeat (`?leadStatus=new&leadStatus=contacted` means either):
//
//   q               quick search over name, email and company name, ignoring case and
//                   accents (searchLeads: "jose" finds José)
//   campaign        [many] Campaign.rowId: leads with a membership in it
//   workflowStatus  [many] CampaignLead.overallStatus (active, replied, interested, ...);
//                   `status` is read as a synonym
//   emailStatus     [many] CampaignLead.emailStatus (pending, sent, opened, replied, bounced, ...)
//                   campaign, workflowStatus and emailStatus hold for one and the same membership
//   leadStatus      [many] Lead.leadStatus (new, contacted, replied, ...)
//   seniority       [many] Lead.seniority
//   industry        [many] Company.industry of the lead's company
//   companySize     [many] a range of Company.employeeCount of the lead's company:
//                   "11-50" (both ends included) or "5000+" (more than 5000)
//   company         [many] Company.rowId (the company page links here)
//   source          [many] Lead.leadSource (csv, instantly, vapi, linkedin, manual, api)
//   import          [many] CsvImportsRaw.rowId the lead was imported by (Lead.csvImportId)
//   hasPhone        true | false (Lead.hasPhone: any phone number known)
//   hasLinkedin     true | false
//   sort            a column key, "-" in front for descending: name, title, email,
//                   leadStatus, campaigns (how many), lastActivity (Lead.lastEventAt, leads
//                   without events last either way); default "-lastActivity"
//   page            1, 2, ... (default 1)
//   pageSize        25, 50 (default) or 100
import { Anchor, Button, Group, Loader, Stack, Text, TextInput, Tooltip } from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconDownload, IconSearch } from "@tabler/icons-react";
import { DataTable, type DataTableColumn, type DataTableSortStatus } from "mantine-datatable";
import { useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useClient, useQuery } from "urql";
import { errorText } from "../client.ts";
import { employeeRange, LeadFilters } from "../components/LeadFilters.tsx";
import { sourceLabel, StatusBadge } from "../components/LeadStatus.tsx";
import { Empty, EmptyWorkspaceHint, ErrorNotice, PageTitle } from "../components/States.tsx";
import { downloadCsv, toCsv } from "../csv.ts";
import { formatDateTime, formatNumber, formatRelative } from "../format.ts";
import { graphql, present, type ResultOf, type VariablesOf } from "../graphql.ts";

export const MULTI_PARAMS = [
  "campaign",
  "workflowStatus",
  "emailStatus",
  "leadStatus",
  "seniority",
  "industry",
  "companySize",
  "company",
  "source",
  "import",
] as const;
export type MultiParam = (typeof MULTI_PARAMS)[number];
export const FLAG_PARAMS = ["hasPhone", "hasLinkedin"] as const;
export type FlagParam = (typeof FLAG_PARAMS)[number];
const PAGE_SIZES = [25, 50, 100];

export interface LeadListParams {
  q: string;
  multi: Record<MultiParam, string[]>;
  flags: Record<FlagParam, boolean | null>;
  sort: string;
  page: number;
  pageSize: number;
}

// The leads with the newest activity first.
const DEFAULT_SORT = "-lastActivity";

export function readParams(search: URLSearchParams): LeadListParams {
  const flag = (name: string) => (search.get(name) === "true" ? true : search.get(name) === "false" ? false : null);
  const page = Number(search.get("page"));
  const pageSize = Number(search.get("pageSize"));
  return {
    q: search.get("q")?.trim() ?? "",
    multi: Object.fromEntries(
      MULTI_PARAMS.map((name) => [
        name,
        [...search.getAll(name), ...(name === "workflowStatus" ? search.getAll("status") : [])].filter(Boolean),
      ]),
    ) as Record<MultiParam, string[]>,
    flags: { hasPhone: flag("hasPhone"), hasLinkedin: flag("hasLinkedin") },
    sort: search.get("sort") || DEFAULT_SORT,
    page: Number.isInteger(page) && page > 0 ? page : 1,
    pageSize: PAGE_SIZES.includes(pageSize) ? pageSize : 50,
  };
}

export const hasFilters = (params: LeadListParams) =>
  Boolean(params.q) || MULTI_PARAMS.some((name) => params.multi[name].length > 0) || FLAG_PARAMS.some((name) => params.flags[name] != null);

const LeadRow = graphql(`
  fragment LeadRow on Lead @_unmask {
    rowId
    fullName
    email
    jobTitle
    emailStatus
    leadStatus
    leadSource
    company {
      rowId
      companyName
      companyDomain
    }
    campaignLeads(first: 5, orderBy: [LAST_ACTIVITY_AT_DESC]) {
      totalCount
      nodes {
        rowId
        overallStatus
        campaign {
          rowId
          campaignName
        }
      }
    }
    lastEventAt
  }
`);

const LeadPage = graphql(
  `
    fragment LeadPage on LeadConnection @_unmask {
      totalCount
      nodes {
        ...LeadRow
      }
    }
  `,
  [LeadRow],
);

// With a search, searchLeads (case and accents ignored) takes the same
// filter, order and paging as leads; one of the two is asked for.
const LeadsQuery = graphql(
  `
    query Leads($q: String!, $searching: Boolean!, $filter: LeadFilter, $orderBy: [LeadOrderBy!], $first: Int!, $offset: Int!) {
      leads(filter: $filter, orderBy: $orderBy, first: $first, offset: $offset) @skip(if: $searching) {
        ...LeadPage
      }
      searchLeads(query: $q, filter: $filter, orderBy: $orderBy, first: $first, offset: $offset) @include(if: $searching) {
        ...LeadPage
      }
    }
  `,
  [LeadPage],
);

/** Whether the workspace has any lead at all (asked only when a filtered list is empty). */
const AnyLeadQuery = graphql(`
  query AnyLead {
    leads(first: 1) {
      nodes {
        rowId
      }
    }
  }
`);

const LeadsExportPage = graphql(`
  fragment LeadsExportPage on LeadConnection @_unmask {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      rowId
      fullName
      firstName
      lastName
      email
      emailStatus
      jobTitle
      seniority
      leadStatus
      leadSource
      phone
      phones
      linkedinUrl
      city
      state
      country
      company {
        companyName
        companyDomain
        industry
        companySize
        employeeCount
      }
      # 20 memberships a lead: 500 leads a request stay within MAX_QUERY_COST.
      campaignLeads(first: 20, orderBy: [LAST_ACTIVITY_AT_DESC]) {
        nodes {
          overallStatus
          campaign {
            campaignName
          }
        }
      }
      lastEventAt
    }
  }
`);

const LeadsExportQuery = graphql(
  `
    query LeadsExport($q: String!, $searching: Boolean!, $filter: LeadFilter, $orderBy: [LeadOrderBy!], $after: Cursor) {
      leads(filter: $filter, orderBy: $orderBy, first: 500, after: $after) @skip(if: $searching) {
        ...LeadsExportPage
      }
      searchLeads(query: $q, filter: $filter, orderBy: $orderBy, first: 500, after: $after) @include(if: $searching) {
        ...LeadsExportPage
      }
    }
  `,
  [LeadsExportPage],
);

export type LeadFilter = NonNullable<VariablesOf<typeof LeadsQuery>["filter"]>;
type LeadOrderBy = NonNullable<VariablesOf<typeof LeadsQuery>["orderBy"]>[number];
type Lead = ResultOf<typeof LeadRow>;

/** Sortable columns: the URL's key -> the API's order. */
const SORTS: Record<string, LeadOrderBy> = {
  name: "FULL_NAME_ASC",
  title: "JOB_TITLE_ASC",
  email: "EMAIL_ASC",
  leadStatus: "LEAD_STATUS_ASC",
  campaigns: "CAMPAIGN_LEADS_COUNT_ASC",
  lastActivity: "LAST_EVENT_AT_ASC",
};

/** A sort of the URL that names a column, else the default. */
const knownSort = (sort: string) => (SORTS[sort.replace(/^-/, "")] ? sort : DEFAULT_SORT);

function orderBy(sort: string): LeadOrderBy[] {
  const known = knownSort(sort);
  const descending = known.startsWith("-");
  const ascending = SORTS[descending ? known.slice(1) : known];
  const order = (descending ? ascending.replace(/_ASC$/, "_DESC") : ascending) as LeadOrderBy;
  // Row id last: a stable order, so pages neither repeat nor skip leads.
  return [order, "ROW_ID_ASC"];
}

/** The API's filter for the URL's parameters (the search itself is searchLeads' query). */
export function leadFilter(params: LeadListParams): LeadFilter | undefined {
  const { multi, flags } = params;
  const and: LeadFilter[] = [];
  if (multi.leadStatus.length) and.push({ leadStatus: { in: multi.leadStatus } });
  if (multi.seniority.length) and.push({ seniority: { in: multi.seniority } });
  if (multi.company.length) and.push({ companyId: { in: multi.company } });
  if (multi.import.length) and.push({ csvImportId: { in: multi.import } });
  // A size that is no range (a typo in the URL) matches no company.
  const sizes = multi.companySize.map(employeeRange).map((range) => range ?? { greaterThanOrEqualTo: 1, lessThanOrEqualTo: 0 });
  if (multi.industry.length || sizes.length)
    and.push({
      company: {
        ...(multi.industry.length ? { industry: { in: multi.industry } } : {}),
        ...(sizes.length ? { or: sizes.map((employeeCount) => ({ employeeCount })) } : {}),
      },
    });
  if (multi.campaign.length || multi.workflowStatus.length || multi.emailStatus.length)
    and.push({
      campaignLeads: {
        some: {
          ...(multi.campaign.length ? { campaignId: { in: multi.campaign } } : {}),
          ...(multi.workflowStatus.length ? { overallStatus: { in: multi.workflowStatus } } : {}),
          ...(multi.emailStatus.length ? { emailStatus: { in: multi.emailStatus } } : {}),
        },
      },
    });
  if (multi.source.length) and.push({ leadSource: { in: multi.source } });
  if (flags.hasPhone != null) and.push({ hasPhone: { equalTo: flags.hasPhone } });
  if (flags.hasLinkedin != null) and.push({ linkedinUrl: { isNull: !flags.hasLinkedin } });
  return and.length ? { and } : undefined;
}

/** The variables that pick leads or searchLeads. */
const searchVariables = (q: string) => ({ q, searching: Boolean(q) });

const leadName = (lead: { fullName: string | null; email: string | null }) => lead.fullName || lead.email || "Unnamed lead";

export function LeadsPage() {
  const [search, setSearch] = useSearchParams();
  const params = useMemo(() => readParams(search), [search]);
  const filter = useMemo(() => leadFilter(params), [params]);
  const filtered = hasFilters(params);

  const update = (change: (next: URLSearchParams) => void, { resetPage = true, replace = false } = {}) => {
    const next = new URLSearchParams(search);
    if (next.has("status")) {
      for (const value of next.getAll("status")) next.append("workflowStatus", value);
      next.delete("status");
    }
    change(next);
    if (resetPage) next.delete("page");
    setSearch(next, { replace });
  };

  const [{ data, fetching, error }] = useQuery({
    query: LeadsQuery,
    variables: {
      ...searchVariables(params.q),
      filter,
      orderBy: orderBy(params.sort),
      first: params.pageSize,
      offset: (params.page - 1) * params.pageSize,
    },
  });
  const connection = params.q ? data?.searchLeads : data?.leads;
  const [anyLead] = useQuery({ query: AnyLeadQuery, pause: !(filtered && connection?.totalCount === 0) });

  // The search box answers as one types; the URL follows a moment later.
  const [q, setQ] = useState(params.q);
  useEffect(() => setQ(params.q), [params.q]);
  const pushQuery = useDebouncedCallback((value: string) => {
    update((next) => (value.trim() ? next.set("q", value.trim()) : next.delete("q")), { replace: true });
  }, 300);

  const clearFilters = () =>
    update((next) => {
      for (const name of ["q", ...MULTI_PARAMS, ...FLAG_PARAMS]) next.delete(name);
    });

  const sort = knownSort(params.sort);
  const sortStatus: DataTableSortStatus<Lead> = {
    columnAccessor: sort.replace(/^-/, ""),
    direction: sort.startsWith("-") ? "desc" : "asc",
  };

  const total = connection?.totalCount;
  const records = present(connection?.nodes);
  const workspaceEmpty = (!filtered && total === 0) || (filtered && anyLead.data?.leads?.nodes.length === 0);

  const columns: DataTableColumn<Lead>[] = [
    {
      accessor: "name",
      title: "Name",
      sortable: true,
      render: (lead) => (
        <Stack gap={0} miw={180}>
          <Anchor component={Link} to={`/leads/${lead.rowId}`} fw={500} size="sm">
            {leadName(lead)}
          </Anchor>
          {lead.fullName && lead.email && (
            <Text size="xs" c="dimmed" style={{ whiteSpace: "nowrap" }}>
              {lead.email}
            </Text>
          )}
        </Stack>
      ),
    },
    { accessor: "title", title: "Title", sortable: true, render: (lead) => lead.jobTitle ?? "—" },
    {
      accessor: "company",
      title: "Company",
      render: (lead) =>
        lead.company ? (
          <Anchor component={Link} to={`/companies/${lead.company.rowId}`} size="sm" style={{ whiteSpace: "nowrap" }}>
            {lead.company.companyName || lead.company.companyDomain || "Unnamed company"}
          </Anchor>
        ) : (
          "—"
        ),
    },
    { accessor: "emailStatus", title: "Email status", render: (lead) => lead.emailStatus ?? "—" },
    { accessor: "leadStatus", title: "Lead status", sortable: true, render: (lead) => <StatusBadge status={lead.leadStatus} /> },
    { accessor: "source", title: "Source", render: (lead) => sourceLabel(lead.leadSource) },
    {
      accessor: "campaigns",
      title: "Campaigns",
      sortable: true,
      render: (lead) => {
        const memberships = present(lead.campaignLeads.nodes);
        if (!memberships.length) return "—";
        const more = lead.campaignLeads.totalCount - memberships.length;
        return (
          <Stack gap={2} miw={180}>
            {memberships.map((membership) => (
              <Group key={membership.rowId} gap={6} wrap="nowrap">
                <Text size="sm" truncate maw={200}>
                  {membership.campaign?.campaignName ?? "—"}
                </Text>
                <StatusBadge status={membership.overallStatus} size="xs" />
              </Group>
            ))}
            {more > 0 && (
              <Text size="xs" c="dimmed">
                and {more} more
              </Text>
            )}
          </Stack>
        );
      },
    },
    {
      accessor: "lastActivity",
      title: "Last activity",
      sortable: true,
      render: (lead) => {
        const at = lead.lastEventAt;
        return at ? (
          <Tooltip label={formatDateTime(at)}>
            <Text size="sm" component="time" dateTime={at} style={{ whiteSpace: "nowrap" }}>
              {formatRelative(at)}
            </Text>
          </Tooltip>
        ) : (
          "—"
        );
      },
    },
  ];

  return (
    <>
      <PageTitle right={<ExportButton q={params.q} filter={filter} sort={params.sort} total={total} />}>Leads</PageTitle>
      {/* No search or facets in an empty workspace: nothing to narrow down. */}
      {!(workspaceEmpty && !filtered) && (
        <Stack gap="sm" mb="md">
          <LeadFilters
            toolbar={
              <>
                <TextInput
                  aria-label="Search leads"
                  placeholder="Search name, email or company"
                  leftSection={<IconSearch size={16} aria-hidden />}
                  value={q}
                  onChange={(event) => {
                    setQ(event.currentTarget.value);
                    pushQuery(event.currentTarget.value);
                  }}
                  style={{ flex: "1 1 220px", maxWidth: 380 }}
                />
                <Text size="sm" c="dimmed" role="status" aria-live="polite">
                  {total == null ? "Counting…" : `${formatNumber(total)} ${total === 1 ? "lead" : "leads"}`}
                </Text>
              </>
            }
            params={params}
            onChange={(name, values) =>
              update((next) => {
                next.delete(name);
                for (const value of values) next.append(name, value);
              })
            }
            onFlagChange={(name, value) => update((next) => (value == null ? next.delete(name) : next.set(name, String(value))))}
            onClear={filtered ? clearFilters : undefined}
          />
        </Stack>
      )}
      {error && <ErrorNotice error={error} title="The leads could not be loaded" />}
      {workspaceEmpty ? (
        <Empty title="No leads yet">
          <EmptyWorkspaceHint />
        </Empty>
      ) : total === 0 && filtered ? (
        <Empty title="No leads match">
          <Stack align="center" gap="xs">
            <span>No lead matches these filters.</span>
            <Button variant="light" onClick={clearFilters}>
              Clear filters
            </Button>
          </Stack>
        </Empty>
      ) : (
        !error && (
          <DataTable<Lead>
            aria-label="Leads"
            withTableBorder
            borderRadius="md"
            striped
            highlightOnHover
            minHeight={records.length ? undefined : 200}
            idAccessor="rowId"
            columns={columns}
            records={records}
            fetching={fetching}
            totalRecords={total ?? 0}
            recordsPerPage={params.pageSize}
            recordsPerPageOptions={PAGE_SIZES}
            recordsPerPageLabel="Leads per page"
            onRecordsPerPageChange={(size) => update((next) => next.set("pageSize", String(size)))}
            page={params.page}
            onPageChange={(page) => {
              update((next) => next.set("page", String(page)), { resetPage: false });
              window.scrollTo({ top: 0 });
            }}
            getPaginationItemProps={(page) => ({ "aria-label": `Page ${page}`, "aria-current": page === params.page ? "page" : undefined })}
            getPaginationControlProps={(control) => ({ "aria-label": `${control.charAt(0).toUpperCase()}${control.slice(1)} page` })}
            paginationText={({ from, to, totalRecords }) => `${formatNumber(from)}–${formatNumber(to)} of ${formatNumber(totalRecords)}`}
            sortStatus={sortStatus}
            onSortStatusChange={(status) =>
              update((next) => next.set("sort", `${status.direction === "desc" ? "-" : ""}${String(status.columnAccessor)}`))
            }
            noRecordsText="Loading leads…"
          />
        )
      )}
    </>
  );
}

const EXPORT_HEADER = [
  "Name",
  "First name",
  "Last name",
  "Email",
  "Email status",
  "Title",
  "Seniority",
  "Lead status",
  "Source",
  "Phone",
  "Other phones",
  "LinkedIn",
  "City",
  "State",
  "Country",
  "Company",
  "Company domain",
  "Industry",
  "Company size",
  "Employees",
  "Campaigns",
  "Last activity",
  "Lead id",
];

/** "Export CSV": every lead of the current search and filter, 500 per request, written in the browser. */
function ExportButton({ q, filter, sort, total }: { q: string; filter: LeadFilter | undefined; sort: string; total: number | undefined }) {
  const client = useClient();
  const [progress, setProgress] = useState<number | null>(null);

  const fetchExportPage = async (after: string | null) => {
    const result = await client
      .query(LeadsExportQuery, { ...searchVariables(q), filter, orderBy: orderBy(sort), after }, { requestPolicy: "network-only" })
      .toPromise();
    const connection = q ? result.data?.searchLeads : result.data?.leads;
    if (result.error || !connection) throw new Error(errorText(result.error) ?? "No answer from the server");
    return connection;
  };

  const exportCsv = async () => {
    setProgress(0);
    const rows: (string | number | null)[][] = [];
    try {
      let after: string | null = null;
      for (;;) {
        const connection = await fetchExportPage(after);
        for (const lead of present(connection.nodes)) {
          const memberships = present(lead.campaignLeads.nodes);
          rows.push([
            lead.fullName,
            lead.firstName,
            lead.lastName,
            lead.email,
            lead.emailStatus,
            lead.jobTitle,
            lead.seniority,
            lead.leadStatus,
            lead.leadSource,
            lead.phone,
            present(lead.phones)
              .filter((phone) => phone !== lead.phone)
              .join("; "),
            lead.linkedinUrl,
            lead.city,
            lead.state,
            lead.country,
            lead.company?.companyName ?? null,
            lead.company?.companyDomain ?? null,
            lead.company?.industry ?? null,
            lead.company?.companySize ?? null,
            lead.company?.employeeCount ?? null,
            memberships.map((m) => `${m.campaign?.campaignName ?? "?"} (${m.overallStatus})`).join("; "),
            lead.lastEventAt,
            lead.rowId,
          ]);
        }
        setProgress(rows.length);
        if (!connection.pageInfo.hasNextPage || !connection.pageInfo.endCursor) break;
        after = connection.pageInfo.endCursor;
      }
      downloadCsv(`leads-${new Date().toISOString().slice(0, 10)}.csv`, toCsv(EXPORT_HEADER, rows));
      notifications.show({ color: "green", title: "Export ready", message: `${formatNumber(rows.length)} leads written to CSV.` });
    } catch (e) {
      notifications.show({ color: "red", title: "The export failed", message: (e as Error).message });
    } finally {
      setProgress(null);
    }
  };

  return (
    <Button
      variant="default"
      leftSection={progress != null ? <Loader size={14} aria-hidden /> : <IconDownload size={16} aria-hidden />}
      onClick={() => void exportCsv()}
      disabled={!total || progress != null}
    >
      {progress != null ? `Exporting ${formatNumber(progress)} of ${formatNumber(total)}…` : "Export CSV"}
    </Button>
  );
}
