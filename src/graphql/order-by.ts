// Orderings PostGraphile's own do not give. Its DESC is PostgreSQL's, which
// puts nulls first: the lead list sorted by last activity would open on the
// leads nobody has contacted yet. LAST_EVENT_AT_ASC/DESC put them last (and
// leads_last_event_at_idx serves the DESC order; the column's own orderBy is
// off, see migration 000020).
import { addPgTableOrderBy, orderByAscDesc } from "postgraphile/utils";

export const LeadLastEventAtOrderPlugin = addPgTableOrderBy({ schemaName: "public", tableName: "leads" }, () =>
  orderByAscDesc("LAST_EVENT_AT", "last_event_at", { nulls: "last" }),
);
