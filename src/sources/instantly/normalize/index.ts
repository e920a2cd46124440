// Normalising Instantly's raw layer: the rows waiting in leadgraph_private.instantly_pending ->
// campaigns, companies, leads, campaign_leads and one event per email or
// webhook event. Set-based SQL in named steps (the NN-name.sql files beside
// this one), one transaction per batch; a claimed pending row is deleted in
// the transaction that writes its results, so a killed job leaves it queued
// and the retry does the same work again (every write is an upsert or a
// recomputation).
//
// Per drain, after the batches: the memberships' workflow and the leads'
// last_event_at, once over everything the batches touched (finishDrain).
//
// Order per run: campaigns, then leads (names and companies for the people
// emails go to), then emails, then webhook events (so a webhook finds the
// event of an email the sync already stored, and the other way round). The
// result does not depend on whether a person's lead record or their emails
// are normalised first (real workspaces page leads after their emails): see
// 43-people-from-lead-records.sql to 50-drop-abandoned-stand-ins.sql.
import type { PoolClient } from "pg";
import { isDataError } from "../../../database/errors.ts";
import { sqlStepRunner } from "../../../database/sql-steps.ts";
import { inTransaction } from "../../../database/transaction.ts";
import { bodyText, type BodyText } from "./bodies.ts";

// Larger batches amortise the per-statement work (measured with bench:sync: 5,000 -> 20,000 rows took 100k emails from 108 s to 65 s end-to-end).
export const DEFAULT_BATCH_SIZE = 20_000;
/** The event keeps this much of a body (the whole one stays in raw_data): full-text search refuses tsvectors over 1 MB. */
const MAX_BODY_CHARS = 100_000;
/** A webhook event that is an email without its id and the synced email within this much of it are one email. */
const SAME_EMAIL_WINDOW = "5 minutes";

export interface NormalizeCounts {
  campaigns: number;
  leads: number;
  emails: number;
  webhooks: number;
  rejected: number;
}

type Source = "lead" | "email" | "webhook";

const run = sqlStepRunner(import.meta.dirname);

const STAGE: Record<Source, string> = { lead: "stage-leads", email: "stage-emails", webhook: "stage-webhooks" };

/** After staging: people, companies and memberships, the same steps for every source. */
const PEOPLE_STEPS = [
  "campaigns-named-by-events",
  "campaign-ids",
  "known-leads",
  "people-from-lead-records",
  "company-domains",
  "companies",
  "emails-for-linkedin-leads",
  "leads",
  "lead-records-win",
  "leads-off-stand-ins",
  "drop-abandoned-stand-ins",
  "lead-ids",
  "memberships",
  "membership-ids",
];

/** Rows converted between two looks at the event loop (a few milliseconds of work). */
const BODIES_PER_SLICE = 500;

interface BodyToConvert {
  source_id: string;
  body: string;
  is_html: boolean;
  is_reply: boolean;
}

/**
 * The bodies SQL cannot make text (HTML without a text part; replies, whose
 * quote goes apart). Converted in slices that give the event loop back, so
 * the pg client sends the next steps meanwhile and PostgreSQL runs them while
 * this converts (so with LEADGRAPH_PROFILE_SQL those steps' times include
 * slices of this work; its own time is printed apart).
 */
async function convertBodies(rows: BodyToConvert[]): Promise<{ values: Record<string, unknown[]>; ms: number }> {
  const converted: BodyText[] = [];
  let ms = 0;
  for (let start = 0; start < rows.length; start += BODIES_PER_SLICE) {
    const started = performance.now();
    for (const row of rows.slice(start, start + BODIES_PER_SLICE)) {
      converted.push(bodyText(row.body, { isHtml: row.is_html, isReply: row.is_reply }));
    }
    ms += performance.now() - started;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return {
    values: {
      source_ids: rows.map((row) => row.source_id),
      bodies: converted.map((body) => body.text),
      quoted_texts: converted.map((body) => body.quoted),
    },
    ms,
  };
}

/** One batch of one source; returns how many pending rows it took (0 = none left). */
async function normalizeBatch(client: PoolClient, source: Source, batchSize: number): Promise<{ taken: number; rejected: number }> {
  return inTransaction(client, async () => {
    await run(client, "defer-last-event-at");
    await run(client, "create-staged");
    const taken = (await run(client, "claim", { resource: source, batch_size: batchSize })).rowCount ?? 0;
    if (!taken) return { taken: 0, rejected: 0 };
    await run(client, STAGE[source], { max_body_chars: MAX_BODY_CHARS });
    const rejected = (await run(client, "rejects")).rowCount ?? 0;
    await run(client, "forget-fixed-rejects");
    await run(client, "drop-rejected");
    const { rows: bodies } = await run<BodyToConvert>(client, "bodies-to-convert");
    // Both settle before anything is rethrown: a failed conversion must not
    // roll back the transaction while the people steps still use the client.
    const [conversion, people] = await Promise.allSettled([
      convertBodies(bodies),
      (async () => {
        for (const name of PEOPLE_STEPS) await run(client, name);
      })(),
    ]);
    if (people.status === "rejected") throw people.reason;
    if (conversion.status === "rejected") throw conversion.reason;
    const converted = conversion.value;
    if (bodies.length) {
      if (process.env.LEADGRAPH_PROFILE_SQL) {
        process.stderr.write(`[js]  ${converted.ms.toFixed(0).padStart(6)} ms  body text of ${bodies.length} emails\n`);
      }
      await run(client, "converted-bodies", converted.values);
    }
    if (source === "email") {
      while ((await run(client, "adopt-webhook-events", { same_email_window: SAME_EMAIL_WINDOW })).rowCount);
      await run(client, "events-from-emails");
    }
    if (source === "webhook") await run(client, "events-from-webhooks", { same_email_window: SAME_EMAIL_WINDOW });
    if (source !== "lead") await run(client, "workflow-inputs");
    await run(client, "workflow-stale");
    return { taken, rejected };
  });
}

/**
 * Drains leadgraph_private.instantly_pending: campaigns, leads, emails, webhooks, in batches.
 * `signal` (the worker's shutdown) stops it between batches: what is left stays pending.
 */
export async function normalizeInstantly(
  client: PoolClient,
  options: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<NormalizeCounts> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const counts: NormalizeCounts = { campaigns: 0, leads: 0, emails: 0, webhooks: 0, rejected: 0 };
  for (;;) {
    options.signal?.throwIfAborted();
    const { rows } = await inTransaction(client, async () => {
      await run(client, "claim", { resource: "campaign", batch_size: batchSize });
      return run<{ claimed: number }>(client, "campaigns");
    });
    counts.campaigns += rows[0]!.claimed;
    if (rows[0]!.claimed < batchSize) break;
  }
  const plural = { lead: "leads", email: "emails", webhook: "webhooks" } as const;
  for (const source of ["lead", "email", "webhook"] as const) {
    for (;;) {
      options.signal?.throwIfAborted();
      const result = await normalizeOrSetAside(client, source, batchSize);
      counts[plural[source]] += result.taken;
      counts.rejected += result.rejected;
      if (result.taken < batchSize) break;
    }
  }
  await finishDrain(client, batchSize, options.signal);
  return counts;
}

/**
 * What reads every event of what the batches touched, once per drain: the
 * memberships' workflow and the leads' last_event_at (queued by each batch in
 * its own transaction, so what a killed drain left is done by the next one).
 * The same result as per batch: the workflow of all of a membership's events
 * is what one batch holding them all gives, and the equivalence tests hold
 * any batch size to that.
 */
async function finishDrain(client: PoolClient, batchSize: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    const taken = await inTransaction(client, async () => {
      await run(client, "create-touched");
      const { rowCount } = await run(client, "stale-memberships", { batch_size: batchSize });
      if (rowCount) await run(client, "workflow");
      return rowCount ?? 0;
    });
    if (taken < batchSize) break;
  }
  for (;;) {
    signal?.throwIfAborted();
    const { rows } = await inTransaction(client, () => run<{ taken: number }>(client, "refresh-last-event-at", { batch_size: batchSize }));
    if (rows[0]!.taken < batchSize) break;
  }
}

/**
 * One bad row must not stop the rest: a batch failing on its data is split in
 * halves (the pending rows are taken in a fixed order) down to the one row
 * that fails, which is set aside with the error.
 */
async function normalizeOrSetAside(client: PoolClient, source: Source, size: number): Promise<{ taken: number; rejected: number }> {
  try {
    return await normalizeBatch(client, source, size);
  } catch (error) {
    if (!isDataError(error)) throw error;
    if (size === 1) {
      await inTransaction(client, async () => {
        await run(client, "claim", { resource: source, batch_size: 1 });
        await run(client, "set-aside", { resource: source, reason: `could not be normalised: ${(error as Error).message}` });
      });
      return { taken: 1, rejected: 1 };
    }
    const half = Math.ceil(size / 2);
    const first = await normalizeOrSetAside(client, source, half);
    if (first.taken < half) return first;
    const second = await normalizeOrSetAside(client, source, size - half);
    return { taken: first.taken + second.taken, rejected: first.rejected + second.rejected };
  }
}
