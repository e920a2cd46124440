// `npm run screenshots [-- --url http://localhost:5678] [--out docs/screenshots]`:
// a picture of every page of a running leadgraph (best after `npx leadgraph
// demo`), at 1280 px and on a phone, so a reviewer can look without running it.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { CHROMIUM_PATH, launchChromium } from "./chromium.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.LEADGRAPH_URL ?? "http://localhost:5678" },
    out: { type: "string", default: "docs/screenshots" },
    token: { type: "string", default: process.env.LEADGRAPH_TOKEN },
    chromium: { type: "string", default: CHROMIUM_PATH },
  },
});
const base = values.url!.replace(/\/$/, "");
const headers: Record<string, string> = {
  "content-type": "application/json",
  ...(values.token ? { authorization: `Bearer ${values.token}` } : {}),
};

async function graphql(query: string): Promise<any> {
  const response = await fetch(`${base}/graphql`, { method: "POST", headers, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { data?: any; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

// Pages that show the most: the lead with the most events, and so on.
const data = await graphql(`
  {
    leads(first: 1, filter: { csvImportId: { isNull: false } }, orderBy: EVENTS_COUNT_DESC) {
      nodes {
        rowId
        companyId
      }
    }
    campaigns(first: 1, orderBy: CAMPAIGN_LEADS_COUNT_DESC) {
      nodes {
        rowId
      }
    }
    csvImportsRaws(first: 1, orderBy: UPLOADED_AT_DESC) {
      nodes {
        rowId
      }
    }
    events(first: 1, condition: { eventType: "email_replied" }) {
      nodes {
        emailSubject
      }
    }
    callLeads: leads(first: 1, filter: { events: { some: { eventSource: { equalTo: "vapi" } } } }, orderBy: EVENTS_COUNT_DESC) {
      nodes {
        rowId
      }
    }
    callCampaigns: campaigns(first: 1, filter: { events: { some: { eventSource: { equalTo: "vapi" } } } }) {
      nodes {
        rowId
      }
    }
  }
`);
const lead = data.leads.nodes[0];
const searchWord = (data.events.nodes[0]?.emailSubject ?? "meeting").split(/\s+/).find((w: string) => w.length > 4) ?? "meeting";
/** Name, route, and optionally one part of the page to photograph (at 1280 px only). */
const pages: [string, string | undefined, string?][] = [
  ["leads", "/leads"],
  ["lead", lead && `/leads/${lead.rowId}`],
  ["company", lead?.companyId && `/companies/${lead.companyId}`],
  ["campaigns", "/campaigns"],
  ["campaign-dashboard", data.campaigns.nodes[0] && `/campaigns/${data.campaigns.nodes[0].rowId}`],
  ["imports", "/imports"],
  ["import", data.csvImportsRaws.nodes[0] && `/imports/${data.csvImportsRaws.nodes[0].rowId}`],
  ["instantly", "/instantly"],
  ["search", `/search?q=${encodeURIComponent(searchWord)}`],
  ["calls-page", "/calls"],
  ["lead-calls", data.callLeads.nodes[0] && `/leads/${data.callLeads.nodes[0].rowId}`],
  ["calls-campaign", data.callCampaigns.nodes[0] && `/campaigns/${data.callCampaigns.nodes[0].rowId}`, '[data-testid="campaign-calls"]'],
];

const out = path.resolve(values.out!);
mkdirSync(out, { recursive: true });
const browser = await launchChromium(values.chromium);
try {
  for (const [viewport, size] of [
    ["desktop", { width: 1280, height: 900 }],
    ["phone", { width: 390, height: 844 }],
  ] as const) {
    const context = await browser.newContext({ viewport: size, deviceScaleFactor: 1 });
    if (values.token) await context.addInitScript((token) => localStorage.setItem("leadgraph.token", token), values.token);
    const page = await context.newPage();
    for (const [name, route, part] of pages) {
      if (!route) {
        console.log(`skipped ${name}: no data for it`);
        continue;
      }
      if (part && viewport === "phone") continue;
      await page.goto(`${base}${route}`, { waitUntil: "networkidle" });
      await page.waitForTimeout(600); // charts animate in
      const file = path.join(out, `${name}${viewport === "phone" ? "-phone" : ""}.png`);
      if (part) await page.locator(part).screenshot({ path: file });
      else await page.screenshot({ path: file, fullPage: viewport === "desktop" });
      console.log(`${file}  (${route})`);
    }
    await context.close();
  }
} finally {
  await browser.close();
}
