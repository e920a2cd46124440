// What a client is told when the database refuses a request: in production,
// a message and a code of its own for what the client can act on, never SQL
// or other rows' values; anything else masked with an id the log has.
import { beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../../src/auth.ts";
import { describeDatabaseError } from "../../src/graphql/errors.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { IDS, seed } from "../helpers/seed.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const SECRET = "test-secret-test-secret-test-secret";
let db: TestDatabase;
let prod: TestServer;
let dev: TestServer;
const auth = () => ({ authorization: `Bearer ${signToken(IDS.defaultUser, SECRET, "1h")}` });

beforeAll(async () => {
  db = await createTestDatabase();
  await seed(db.pool);
  // An error of no known kind, whose message must not reach a client in production.
  await db.pool.query(
    "create function public.test_internal_failure() returns integer language plpgsql stable as $$ begin raise exception 'secret internals: %', current_setting('server_version') using errcode = '55000'; end $$",
  );
  prod = await startTestServer(db, { jwtSecret: SECRET, production: true });
  dev = await startTestServer(db, { jwtSecret: SECRET });
});

const errorOf = async (server: TestServer, query: string, variables: Record<string, unknown> = {}) => {
  const { body } = await server.graphql(query, variables, auth());
  expect(body.errors, JSON.stringify(body)).toBeDefined();
  return body.errors![0];
};

describe("database errors in production", () => {
  it("a duplicate names the row and the key, not the constraint or the value", async () => {
    const error = await errorOf(
      prod,
      `mutation { createLead(input: { lead: { email: "jane.doe@northwind-example.com" } }) { lead { rowId } } }`,
    );
    expect(error.message).toBe("A lead with this email already exists (email); look it up and update it instead.");
    expect(error.extensions).toMatchObject({ code: "ALREADY_EXISTS", sqlstate: "23505" });
    expect(JSON.stringify(error)).not.toMatch(/leads_email_key|insert|jane\.doe/);
  });

  it("a missing or still-used referenced row", async () => {
    const missing = await errorOf(
      prod,
      `mutation { createLead(input: { lead: { email: "new@example.com", companyId: "20000000-0000-4000-8000-00000000dead" } }) { lead { rowId } } }`,
    );
    expect(missing.message).toBe("No company has the id given in companyId.");
    expect(missing.extensions.code).toBe("REFERENCE_NOT_FOUND");
    const offer = await prod.graphql("{ offers { nodes { rowId } } }", {}, auth());
    const inUse = await errorOf(prod, "mutation ($id: UUID!) { deleteOffer(input: { rowId: $id }) { offer { rowId } } }", {
      id: offer.body.data.offers.nodes[0].rowId,
    });
    expect(inUse.message).toBe("This offer is still used by campaign rows; delete or change those first.");
    expect(inUse.extensions.code).toBe("STILL_REFERENCED");
  });

  it("a refused value, a rule of our functions, a row that is not yours", async () => {
    const check = await errorOf(prod, `mutation { createOffer(input: { offer: { offerName: "   " } }) { offer { rowId } } }`);
    expect(check.message).toBe("A value is not allowed for an offer (rule offers_offer_name_check); see the field's description.");
    expect(check.extensions).toMatchObject({ code: "CHECK_VIOLATION", sqlstate: "23514" });
    const badDate = await errorOf(prod, `{ leads(filter: { lastEventAt: { greaterThan: "the day after tomorrow" } }) { totalCount } }`);
    expect(badDate.extensions.code).toBe("INVALID_VALUE");
    expect(badDate.message).toMatch(/^Invalid value: invalid input syntax for type timestamp/);
    const status = await errorOf(
      prod,
      `mutation { setLeadStatus(input: { leadId: "${IDS.jane}", status: "hot" }) { lead { leadStatus } } }`,
    );
    expect(status.message).toMatch(/^Unknown lead status "hot"/);
    expect(status.extensions).toMatchObject({ code: "INVALID_VALUE", sqlstate: "22023" });
    const notMine = await errorOf(
      prod,
      `mutation { createEvent(input: { event: { eventSource: "instantly", eventType: "note_added", leadId: "${IDS.jane}" } }) { event { rowId } } }`,
    );
    expect(notMine.message).toBe("Not allowed: this event is not yours to create or change.");
    expect(notMine.extensions.code).toBe("FORBIDDEN");
  });

  it("masks anything else with an error id, and makes no suggestions", async () => {
    const internal = await errorOf(prod, "{ testInternalFailure }");
    expect(internal.message).toMatch(/^An error occurred \(logged with hash: '[^']+', id: '[^']+'\)$/);
    expect(internal.extensions.errorId).toEqual(expect.any(String));
    expect(JSON.stringify(internal)).not.toMatch(/secret internals/);
    const typo = await errorOf(prod, "{ leds { totalCount } }");
    expect(typo.message).toBe('Cannot query field "leds" on type "Query".');
    const devTypo = await errorOf(dev, "{ leds { totalCount } }");
    expect(devTypo.message).toMatch(/Did you mean "leads"/);
  });

  it("outside production the same message and code, followed by the database's own words", async () => {
    const error = await errorOf(
      dev,
      `mutation { createLead(input: { lead: { email: "jane.doe@northwind-example.com" } }) { lead { rowId } } }`,
    );
    expect(error.message).toMatch(
      /^A lead with this email already exists \(email\).*\[duplicate key value violates unique constraint "leads_email_key"\]$/,
    );
    expect(error.extensions.code).toBe("ALREADY_EXISTS");
    expect((await errorOf(dev, "{ testInternalFailure }")).message).toMatch(/secret internals/);
  });
});

describe("describeDatabaseError", () => {
  it("names not-null and check violations, and retries, from the error's fields", () => {
    expect(describeDatabaseError({ code: "23502", table: "campaign_leads", column: "lead_id" })).toEqual({
      message: "`leadId` is required for a campaign lead.",
      code: "VALUE_REQUIRED",
    });
    expect(describeDatabaseError({ code: "23514", table: "companies", constraint: "companies_domain_check" })?.message).toBe(
      "A value is not allowed for a company (rule companies_domain_check); see the field's description.",
    );
    expect(describeDatabaseError({ code: "40001" })?.code).toBe("RETRY");
    expect(describeDatabaseError({ code: "P0001", message: "This import is still running." })).toEqual({
      message: "This import is still running.",
      code: "REFUSED",
    });
    expect(describeDatabaseError({ code: "XX000", message: "internal" })).toBeUndefined();
    expect(describeDatabaseError(new Error("not from the database"))).toBeUndefined();
  });
});
