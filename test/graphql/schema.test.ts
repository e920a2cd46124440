// The GraphQL schema covers the database catalogue (every table, column,
// foreign key both ways, function), and the committed schema.graphql is what
// the code builds: a change of names or shape shows in review.
import fs from "node:fs";
import path from "node:path";
import {
  buildSchema,
  getNamedType,
  isObjectType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
} from "postgraphile/graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig, projectRoot } from "../../src/config.ts";
import { exportSchema } from "../../src/graphql/schema-export.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

let db: TestDatabase;
let sdl: string;
let schema: GraphQLSchema;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig();
  sdl = await exportSchema(db.authUrl, { ...config, production: false, graphql: { ...config.graphql, persistedOnly: false } });
  schema = buildSchema(sdl);
});

const strip = (comment: string) => comment.replace(/^(@[^\n]*\n)+/, "").trim();

/** The GraphQL object type documented by a table's comment. */
function typeForTable(comment: string): GraphQLObjectType {
  const type = Object.values(schema.getTypeMap()).find(
    (t): t is GraphQLObjectType => isObjectType(t) && !t.name.startsWith("__") && (t.description ?? "").trim() === strip(comment),
  );
  if (!type) throw new Error(`no GraphQL type documented as: ${strip(comment)}`);
  return type;
}

const fieldsOfType = (type: GraphQLObjectType, typeName: string): GraphQLField<unknown, unknown>[] =>
  Object.values(type.getFields()).filter((f) => getNamedType(f.type).name === typeName);

describe("schema.graphql", () => {
  it("is up to date (run `npm run schema:export` after changing the schema or the preset)", () => {
    const committed = fs.readFileSync(path.join(projectRoot, "schema.graphql"), "utf8");
    expect(sdl === committed, "schema.graphql differs from the live schema: run `npm run schema:export`").toBe(true);
  });
});

describe("coverage of the database catalogue", () => {
  async function tables() {
    const { rows } = await db.pool.query<{ name: string; comment: string; raw: boolean }>(
      `select c.relname as name, obj_description(c.oid, 'pg_class') as comment,
              c.relname like '%\\_raw' or c.relname = 'csv_import_rows' as raw
         from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' order by 1`,
    );
    return rows;
  }

  it("every table is a root connection with pagination, orderBy and filter, and a single-row lookup", async () => {
    const query = schema.getQueryType()!;
    for (const table of await tables()) {
      const type = typeForTable(table.comment);
      // The table's own connection (a set-returning function such as callsDue has no backward paging).
      const connection = fieldsOfType(query, `${type.name}Connection`).find(
        (f) => f.args.some((a) => a.name === "filter") && f.args.some((a) => a.name === "last"),
      );
      expect(connection, `root connection for ${table.name}`).toBeDefined();
      expect(connection!.args.map((a) => a.name)).toEqual(
        expect.arrayContaining(["first", "last", "after", "before", "orderBy", "filter"]),
      );
      expect(fieldsOfType(query, type.name).length, `single-row lookups for ${table.name}`).toBeGreaterThan(0);
    }
  });

  it("every column is a documented field", async () => {
    const { rows } = await db.pool.query<{ table_comment: string; comment: string; name: string }>(
      `select obj_description(c.oid, 'pg_class') as table_comment, col_description(c.oid, a.attnum) as comment, a.attname as name
         from pg_attribute a join pg_class c on c.oid = a.attrelid
        where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
          and a.attname not in ('id', 'search_vector')`,
    );
    for (const column of rows) {
      const type = typeForTable(column.table_comment);
      const documented = Object.values(type.getFields()).some((f) => (f.description ?? "").trim() === strip(column.comment));
      expect(documented, `${type.name} documents ${column.name}`).toBe(true);
    }
  });

  it("every foreign key is navigable both ways", async () => {
    const { rows } = await db.pool.query<{ child: string; parent: string; name: string }>(
      `select obj_description(conrelid, 'pg_class') as child, obj_description(confrelid, 'pg_class') as parent, conname as name
         from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace
          and (select relnamespace from pg_class where oid = confrelid) = 'public'::regnamespace
       union all
       -- (a view's keys are smart tags: csv_import_rows, over the private rows as read and their outcomes)
       select obj_description('events'::regclass, 'pg_class'), obj_description('csv_import_rows'::regclass, 'pg_class'), 'events -> csv_import_rows'
       union all
       select obj_description('csv_import_rows'::regclass, 'pg_class'), obj_description(p::regclass, 'pg_class'), 'csv_import_rows -> ' || p
         from unnest(array['csv_imports_raw', 'leads']) p`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const fk of rows) {
      const child = typeForTable(fk.child);
      const parent = typeForTable(fk.parent);
      expect(fieldsOfType(child, parent.name).length, `${fk.name}: ${child.name} -> ${parent.name}`).toBeGreaterThan(0);
      expect(fieldsOfType(parent, `${child.name}Connection`).length, `${fk.name}: ${parent.name} -> ${child.name}s`).toBeGreaterThan(0);
    }
  });

  it("every function (except triggers and hidden helpers) is a documented field", async () => {
    const { rows } = await db.pool.query<{ name: string; comment: string }>(
      `select p.proname as name, obj_description(p.oid, 'pg_proc') as comment
         from pg_proc p
        where p.pronamespace = 'public'::regnamespace and p.prorettype <> 'trigger'::regtype
          and obj_description(p.oid, 'pg_proc') not like '@behavior -queryField%'`,
    );
    expect(rows.map((r) => r.name).sort()).toEqual([
      "calls_due",
      "campaigns_email_activity_per_day",
      "campaigns_funnel",
      "campaigns_leads_by_overall_status",
      "cancel_call_request",
      "get_campaign_event_stats",
      "get_lead_timeline",
      "leads_has_phone",
      "log_call",
      "queue_call",
      "reprocess_csv_import",
      "search_events",
      "search_leads",
      "set_lead_status",
      "viewer",
    ]);
    const allFields = Object.values(schema.getTypeMap())
      .filter(isObjectType)
      .flatMap((t) => Object.values(t.getFields()));
    for (const fn of rows) {
      expect(
        allFields.some((f) => (f.description ?? "").trim() === strip(fn.comment)),
        `${fn.name} is a field`,
      ).toBe(true);
    }
  });

  it("the timeline, stats and search functions are root fields; the raw layer is never updated or deleted", () => {
    const query = schema.getQueryType()!.getFields();
    expect(query.getLeadTimeline.args.map((a) => `${a.name}: ${a.type}`)).toContain("leadId: UUID!");
    expect(query.getCampaignEventStats.args.map((a) => `${a.name}: ${a.type}`)).toContain("campaignId: UUID!");
    expect(query.searchEvents.args.map((a) => `${a.name}: ${a.type}`)).toContain("query: String!");
    const mutations = Object.keys(schema.getMutationType()!.getFields());
    for (const table of ["Offer", "Company", "Lead", "Campaign", "CampaignLead", "Event"]) {
      expect(mutations).toEqual(expect.arrayContaining([`create${table}`, `update${table}`, `delete${table}`]));
    }
    // CSV uploads may be inserted through GraphQL (that starts their normalisation); nothing raw changes after.
    expect(mutations.filter((m) => /Raw|CsvImport|Counts?\b|Count[A-Z]/.test(m)).sort()).toEqual([
      "createCsvImportRow",
      "createCsvImportsRaw",
      "reprocessCsvImport",
    ]);
  });

  it("aggregates and groupings exist where dashboards need them", () => {
    const groupBy = (name: string) => (schema.getType(name) as any).getValues().map((v: any) => v.name);
    expect(groupBy("EventGroupBy")).toEqual(
      expect.arrayContaining(["EVENT_TYPE", "EVENT_SOURCE", "EVENT_TIMESTAMP_TRUNCATED_TO_DAY", "CAMPAIGN_ID"]),
    );
    expect(groupBy("CampaignLeadGroupBy")).toEqual(
      expect.arrayContaining(["EMAIL_STATUS", "CALL_STATUS", "OVERALL_STATUS", "SEQUENCE_STEP"]),
    );
    expect(groupBy("LeadGroupBy")).toEqual(expect.arrayContaining(["LEAD_STATUS", "COMPANY_ID"]));
    expect(groupBy("InstantlyDailyAnalyticsRawGroupBy")).toEqual(expect.arrayContaining(["ANALYTICS_DATE", "INSTANTLY_CAMPAIGN_ID"]));
    for (const type of ["EventAggregates", "CampaignLeadAggregates", "LeadAggregates", "InstantlyDailyAnalyticsRawAggregates"]) {
      const aggregates = Object.keys((schema.getType(type) as GraphQLObjectType).getFields());
      expect(aggregates, type).toEqual(expect.arrayContaining(["sum", "average", "min", "max", "distinctCount"]));
    }
  });
});
