// `npm run dev:instantly [-- options]`: the fake Instantly API v2 server on a
// fixed port, for running leadgraph against it locally.
import { parseArgs } from "node:util";
import { startFakeInstantly } from "./server.ts";

const HELP = `Usage: npm run dev:instantly -- [options]

  --port <n>          port (default: $PORT or 4010)
  --seed <n>          data seed (default 1)
  --campaigns <n>     campaigns (default 5)
  --accounts <n>      sending accounts (default 5)
  --emails <n>        emails over all campaigns (default 300)
  --api-key <key>     accept only this bearer (default: any non-empty bearer)
  --no-rate-limits    no 429s (default: 100/s, 6000/min, GET /emails 20/min)
  --time-scale <n>    divide every rate-limit window by n (default 1)
  --retry-after <s>   send Retry-After with rate-limit 429s
  -h, --help          this help

Control endpoints (no auth): GET /__fake/data, GET|DELETE /__fake/stats,
GET|POST|DELETE /__fake/faults (POST a FaultRule or an array of them),
POST /__fake/emails {"count":N,"campaignId":"..."}.`;

function number(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} must be a non-negative number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    seed: { type: "string" },
    campaigns: { type: "string" },
    accounts: { type: "string" },
    emails: { type: "string" },
    "api-key": { type: "string" },
    "no-rate-limits": { type: "boolean" },
    "time-scale": { type: "string" },
    "retry-after": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const started = performance.now();
const retryAfter = values["retry-after"];
const fake = await startFakeInstantly({
  port: number("port", values.port ?? process.env.PORT, 4010),
  seed: number("seed", values.seed, 1),
  campaigns: number("campaigns", values.campaigns, 5),
  accounts: number("accounts", values.accounts, 5),
  emails: number("emails", values.emails, 300),
  rateLimits: !values["no-rate-limits"],
  timeScale: number("time-scale", values["time-scale"], 1) || 1,
  ...(values["api-key"] ? { apiKey: values["api-key"] } : {}),
  ...(retryAfter !== undefined ? { rateLimitRetryAfter: number("retry-after", retryAfter, 0) } : {}),
});
const { data } = fake;
console.log(`Fake Instantly API v2 listening on ${fake.url}`);
console.log(
  `  seed ${data.seed}: ${data.campaigns.length} campaigns, ${data.accounts.length} accounts, ${data.leads.length} leads, ` +
    `${data.emails.length} emails (generated in ${Math.round(performance.now() - started)} ms); ` +
    `rate limits ${values["no-rate-limits"] ? "off" : "on"}`,
);
console.log(`Run leadgraph against it:\n  INSTANTLY_API_URL=${fake.url} INSTANTLY_API_KEY=${values["api-key"] ?? "anything"} npm start`);
console.log(`Control: ${fake.origin}/__fake/data, ${fake.origin}/__fake/stats (Ctrl-C to stop)`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, stopping`);
    fake.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
