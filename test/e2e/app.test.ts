// The web app as served by the API server: deep links, API paths untouched,
// and sign-in in production (only the sign-in screen until a token is given).
import { describe, expect, it } from "vitest";
import { DEFAULT_USER_ID, signToken } from "../../src/auth.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { startTestServer } from "../helpers/server.ts";
import { chromiumMissing, openPage } from "./browser.ts";

const db = await createTestDatabase();
const local = await startTestServer(db);

describe("serving the app", () => {
  it("answers / and deep links (also paths with dots) with the app, and leaves API paths to the API", async () => {
    for (const path of ["/", "/leads", "/leads/0b7c3f5e-0000-4000-8000-000000000000", "/companies/acme.example.com", "/imports"]) {
      const response = await fetch(`${local.url}${path}`, { headers: { accept: "text/html" } });
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toContain('<div id="root">');
    }
    const missingAsset = await fetch(`${local.url}/assets/no-such-file.js`);
    expect(missingAsset.status).toBe(404);
    const health = await fetch(`${local.url}/healthz`, { headers: { accept: "text/html" } });
    expect(await health.json()).toEqual({ status: "ok" });
    const webhook = await fetch(`${local.url}/webhooks/nothing-here`, { headers: { accept: "text/html" } });
    expect(webhook.status).toBe(404);
    expect(await webhook.text()).not.toContain('<div id="root">');
    const { status, body } = await local.graphql("{ __typename }");
    expect(status).toBe(200);
    expect(body.data).toEqual({ __typename: "Query" });
  });

  it("without a built app serves the API alone: / goes to GraphiQL", async () => {
    const apiOnly = await startTestServer(db, { webDist: "/nonexistent/web/dist" });
    expect(apiOnly.webApp).toBe(false);
    const response = await fetch(`${apiOnly.url}/leads`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(response.status).toBe(404);
    const root = await fetch(`${apiOnly.url}/`, { redirect: "manual" });
    expect(root.headers.get("location")).toBe("/graphiql");
  });
});

describe.skipIf(chromiumMissing)("in a browser", () => {
  it("works without signing in on a laptop, and a reload on a deep link shows that page", async () => {
    const { page, errors } = await openPage(local.url);
    await page.goto("/");
    await page.waitForURL("**/leads");
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Campaigns" }).isVisible()).resolves.toBe(true);
    await page.goto("/campaigns");
    await page.reload();
    await expect(page.getByRole("heading", { level: 2 }).first().textContent()).resolves.toMatch(/Campaigns/);
    expect(errors).toEqual([]);
  });

  it("in production shows only the sign-in screen until a valid token is given; a bad one is refused; sign-out forgets it", async () => {
    const secret = "e2e-secret-e2e-secret-e2e-secret-0123456789";
    const production = await startTestServer(db, { production: true, jwtSecret: secret });
    const { page } = await openPage(production.url);
    await page.goto("/leads");
    await page.getByRole("heading", { name: "Sign in to leadgraph" }).waitFor();
    expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(0);

    await page.getByLabel("Access token").fill("not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Invalid token" }).waitFor();
    expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(0);

    const expired = signToken(DEFAULT_USER_ID, secret, "-1h");
    await page.getByLabel("Access token").fill(expired);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Token expired" }).waitFor();

    await page.getByLabel("Access token").fill(signToken(DEFAULT_USER_ID, secret, "1h"));
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    await page.reload();
    await page.getByRole("navigation", { name: "Main" }).waitFor();

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to leadgraph" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Sign in to leadgraph" }).waitFor();
  });
});
