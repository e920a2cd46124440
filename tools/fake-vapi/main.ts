// `npm run dev:vapi [-- options]`: the fake VAPI API on a fixed port, for running
// leadgraph against it locally (docs/sources/vapi-fake.md).
import { parseArgs } from "node:util";
import { DEFAULT_ASSISTANT_ID, DEFAULT_PHONE_NUMBER_ID, startFakeVapi, type WebhookAuthKind } from "./server.ts";

const HELP = `Usage: npm run dev:vapi -- [options]

  --port <n>               port (default: $PORT or 4020)
  --seed <n>               ids and data seed (default 1)
  --calls <n>              pre-seeded ended calls over the last 30 days (default 0)
  --api-key <key>          accept only this bearer (default: any non-empty bearer)
  --time-scale <n>         run the call lifecycle n times faster than real time (default 1; 0 freezes it)
  --concurrency <n>        concurrent calls before call.start.error-subscription-concurrency-limit-reached (default 10)
  --webhook-url <url>      POST status-update and end-of-call-report messages there (default: none)
  --webhook-secret <s>     the credential sent with each message
  --webhook-auth <kind>    bearer (Authorization: Bearer <s>, the default), x-vapi-secret, or hmac
                           (x-vapi-signature: hex HMAC-SHA256 of the raw body)
  --legacy-reports         end-of-call-report with top-level transcript/summary/recordingUrl
  -h, --help               this help

Outcome by the customer number's last two digits: 01 answered, 02 no answer, 03 voicemail,
04 busy, 05 pipeline error, 06 misdialed, 07 assistant ended, 08 canceled, 09 an unknown
reason; others answered.

Control endpoints (no auth): GET /__fake/stats, GET /__fake/calls,
GET|POST|DELETE /__fake/faults (POST a FaultRule or an array of them),
POST /__fake/calls {"number":"+1..."} (an inbound call), POST /__fake/advance {"ms":N}.`;

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
    calls: { type: "string" },
    "api-key": { type: "string" },
    "time-scale": { type: "string" },
    concurrency: { type: "string" },
    "webhook-url": { type: "string" },
    "webhook-secret": { type: "string" },
    "webhook-auth": { type: "string" },
    "legacy-reports": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const authKind = (values["webhook-auth"] ?? "bearer") as WebhookAuthKind;
if (!["bearer", "x-vapi-secret", "hmac"].includes(authKind)) {
  console.error(`--webhook-auth must be bearer, x-vapi-secret or hmac, got "${authKind}"`);
  process.exit(2);
}
const secret = values["webhook-secret"];
const fake = await startFakeVapi({
  port: number("port", values.port ?? process.env.PORT, 4020),
  seed: number("seed", values.seed, 1),
  calls: number("calls", values.calls, 0),
  timeScale: number("time-scale", values["time-scale"], 1),
  concurrencyLimit: number("concurrency", values.concurrency, 10),
  ...(values["api-key"] ? { apiKey: values["api-key"] } : {}),
  ...(values["webhook-url"] ? { webhookUrl: values["webhook-url"] } : {}),
  ...(secret ? { webhookAuth: { kind: authKind, secret } } : {}),
  ...(values["legacy-reports"] ? { legacyReports: true } : {}),
});
console.log(`Fake VAPI API listening on ${fake.url}`);
console.log(
  `  ${fake.calls().length} seeded calls; time scale ${values["time-scale"] ?? 1}; ` +
    `webhooks ${values["webhook-url"] ? `to ${values["webhook-url"]} (${secret ? authKind : "no credential"})` : "off"}`,
);
console.log(`  assistantId ${DEFAULT_ASSISTANT_ID}, phoneNumberId ${DEFAULT_PHONE_NUMBER_ID}`);
console.log("Run leadgraph against it:");
console.log(`  VAPI_API_URL=${fake.url}`);
console.log(`  VAPI_API_KEY=${values["api-key"] ?? "anything"}`);
console.log(`  VAPI_WEBHOOK_SECRET=${secret ?? "<set --webhook-secret>"}`);
console.log(`Control: ${fake.url}/__fake/stats, ${fake.url}/__fake/calls (Ctrl-C to stop)`);

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
