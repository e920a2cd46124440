// Who may do what through GraphQL: tokens, the default user outside
// production, production rules, ownership from the token, RLS and grants.
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_USER_ID, signToken } from "../../src/auth.ts";
import { loadConfig } from "../../src/config.ts";
import { startServer } from "../../src/server.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { IDS, seed } from "../helpers/seed.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const SECRET = "test-secret-test-secret-test-secret";
const BOB = "40000000-0000-4000-8000-000000000002";
let db: TestDatabase;
let dev: TestServer;
let prod: TestServer;
const bearer = (userId: string, expiresIn = "1h") => ({ authorization: `Bearer ${signToken(userId, SECRET, expiresIn)}` });

beforeAll(async () => {
  db = await createTestDatabase();
  await seed(db.pool);
  await db.pool.query("insert into users (id, email, full_name) values ($1, 'bob@example.com', 'Bob')", [BOB]);
  dev = await startTestServer(db, { jwtSecret: SECRET });
  prod = await startTestServer(db, { jwtSecret: SECRET, production: true });
});

const createNote = `mutation ($leadId: UUID!, $text: String!) {
  createEvent(input: { event: { eventSource: "manual", eventType: "note_added", leadId: $leadId, noteText: $text } }) {
    event { rowId noteText performer { email } }
  }
}`;

describe("outside production", () => {
  it("a request without a token acts as the default user", async () => {
    const { body } = await dev.graphql(createNote, { leadId: IDS.jane, text: "from GraphiQL" });
    expect(body.errors).toBeUndefined();
    expect(body.data.createEvent.event.performer.email).toBe("owner@leadgraph.local");
  });

  it("a token acts as its user, and ownership comes from the token, not from input", async () => {
    const { body } = await dev.graphql(
      `mutation { createOffer(input: { offer: { offerName: "Audit" } }) { offer { offerName creator { email } } } }`,
      {},
      bearer(BOB),
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.createOffer.offer).toEqual({ offerName: "Audit", creator: { email: "bob@example.com" } });
    const forged = await dev.graphql(
      `mutation { createOffer(input: { offer: { offerName: "Forged", createdBy: "${DEFAULT_USER_ID}" } }) { offer { rowId } } }`,
      {},
      bearer(BOB),
    );
    expect(forged.body.errors?.[0].message).toMatch(/createdBy/);
  });

  it("rejects invalid and expired tokens with 401", async () => {
    const invalid = await dev.graphql("{ __typename }", {}, { authorization: "Bearer not.a.token" });
    expect(invalid.status).toBe(401);
    expect(invalid.body.errors?.[0].message).toMatch(/Invalid token/);
    const wrongSecret = await dev.graphql("{ __typename }", {}, { authorization: `Bearer ${signToken(BOB, "another-secret", "1h")}` });
    expect(wrongSecret.status).toBe(401);
    const expired = await dev.graphql("{ __typename }", {}, bearer(BOB, "-10s"));
    expect(expired.status).toBe(401);
    expect(expired.body.errors?.[0].message).toMatch(/Token expired/);
    const jwt = (await import("jsonwebtoken")).default;
    const forever = jwt.sign({}, SECRET, { algorithm: "HS256", subject: BOB, audience: "leadgraph" });
    const noExpiry = await dev.graphql("{ __typename }", {}, { authorization: `Bearer ${forever}` });
    expect(noExpiry.status).toBe(401);
    expect(noExpiry.body.errors?.[0].message).toMatch(/no expiry/);
  });

  it("people change only their own profile and their own manual events", async () => {
    const own = await dev.graphql(
      `mutation { updateUser(input: { rowId: "${BOB}", patch: { fullName: "Bob B." } }) { user { fullName } } }`,
      {},
      bearer(BOB),
    );
    expect(own.body.data.updateUser.user.fullName).toBe("Bob B.");
    const other = await dev.graphql(
      `mutation { updateUser(input: { rowId: "${DEFAULT_USER_ID}", patch: { fullName: "Hacked" } }) { user { fullName } } }`,
      {},
      bearer(BOB),
    );
    // RLS hides the row from the update: nothing changes.
    expect(other.body.data?.updateUser?.user ?? null).toBeNull();
    expect((await db.pool.query("select full_name from users where id = $1", [DEFAULT_USER_ID])).rows[0].full_name).toBe("Default User");

    const note = await dev.graphql(createNote, { leadId: IDS.tom, text: "default user's note" });
    const noteId = note.body.data.createEvent.event.rowId;
    const bobDeletes = await dev.graphql(`mutation { deleteEvent(input: { rowId: "${noteId}" }) { event { rowId } } }`, {}, bearer(BOB));
    expect(bobDeletes.body.data?.deleteEvent?.event ?? null).toBeNull();
    expect((await db.pool.query("select count(*)::int as n from events where id = $1", [noteId])).rows[0].n).toBe(1);
    const ownerDeletes = await dev.graphql(`mutation { deleteEvent(input: { rowId: "${noteId}" }) { event { rowId } } }`);
    expect(ownerDeletes.body.data.deleteEvent.event.rowId).toBe(noteId);
  });

  it("visitors may only add manual events; the raw layer cannot be written", async () => {
    const sync = await dev.graphql(
      `mutation { createEvent(input: { event: { eventSource: "instantly", eventType: "email_sent", leadId: "${IDS.jane}" } }) { event { rowId } } }`,
    );
    expect(sync.body.errors?.[0].message).toMatch(/row-level security/);
    const raw = await dev.graphql(`mutation { createInstantlyCampaignsRaw(input: {}) { clientMutationId } }`);
    expect(raw.body.errors?.[0].message).toMatch(/Cannot query field "createInstantlyCampaignsRaw"/);
    const read = await dev.graphql(`{ csvImportsRaws { totalCount } }`);
    expect(read.body.data.csvImportsRaws.totalCount).toBe(1);
  });
});

describe("outside production, but listening beyond this machine (HOST=0.0.0.0)", () => {
  it("requires a token all the same", async () => {
    const exposed = await startTestServer(db, { jwtSecret: SECRET, host: "0.0.0.0" });
    const { status, body } = await exposed.graphql("{ leads { totalCount } }");
    expect(status).toBe(401);
    expect(body.errors?.[0].message).toMatch(/Authentication required/);
    expect((await exposed.graphql("{ leads { totalCount } }", {}, bearer(BOB))).body.data.leads.totalCount).toBe(3);
  });
});

describe("in production (NODE_ENV=production)", () => {
  it("requires a token", async () => {
    const { status, body } = await prod.graphql("{ leads { totalCount } }");
    expect(status).toBe(401);
    expect(body.errors?.[0].message).toMatch(/Authentication required/);
    const ok = await prod.graphql("{ leads { totalCount } }", {}, bearer(BOB));
    expect(ok.body.data.leads.totalCount).toBe(3);
  });

  it("turns GraphiQL and introspection off and masks errors", async () => {
    expect((await fetch(`${prod.url}/graphiql`, { headers: { accept: "text/html" } })).status).toBe(404);
    const page = await fetch(`${prod.url}/graphql`, { headers: { accept: "text/html" } });
    expect(await page.text()).not.toMatch(/ruru|graphiql/i);
    const introspection = await prod.graphql("{ __schema { types { name } } }", {}, bearer(BOB));
    expect(introspection.body.errors?.[0].message).toMatch(/introspection/i);
    const duplicate = `mutation { createLead(input: { lead: { email: "jane.doe@northwind-example.com" } }) { lead { rowId } } }`;
    const masked = await prod.graphql(duplicate, {}, bearer(BOB));
    // A duplicate is told as such (test/graphql/errors.test.ts); other errors are masked there.
    expect(masked.body.errors?.[0].message).toMatch(/^A lead with this email already exists/);
    expect(masked.body.errors?.[0].message).not.toMatch(/leads_email_key/);
    const devError = await dev.graphql(duplicate);
    expect(devError.body.errors?.[0].message).toMatch(/leads_email_key/);
  });

  it("refuses to start without JWT_SECRET", async () => {
    await expect(
      startServer({ ...loadConfig(), production: true, jwtSecret: undefined, port: 0, databaseUrl: db.authUrl }),
    ).rejects.toThrow(/JWT_SECRET must be set/);
  });
});
