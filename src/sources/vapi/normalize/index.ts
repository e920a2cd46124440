// Normalising VAPI's raw layer: the calls and webhook deliveries waiting in
// leadgraph_private.vapi_pending -> one event per ended call, the lead's
// campaign membership's call workflow. Set-based SQL in named steps (the
// NN-name.sql files beside this one), one transaction per batch; a claimed
// pending row is deleted in the transaction that writes its results, so a
// killed job leaves it queued and the retry does the same work again.
//
// Every batch merges, per call, everything known of it (the stored version
// and every delivered message: 20-stage-calls.sql), and recomputes its
// memberships from all their calls (70-memberships.sql): the result does not
// depend on the batch size, the order of deliveries, or how often it runs.
// The lead is found by customer.externalId (a membership id), else by the
// number in E.164 against the leads' phones (phones.ts).
// docs/sources/vapi-normalize.md describes the rules.
import type { PoolClient } from "pg";
import { isDataError } from "../../../database/errors.ts";
import { sqlStepRunner } from "../../../database/sql-steps.ts";
import { inTransaction } from "../../../database/transaction.ts";
import { leadsWithNumber, phoneKey, toE164, type Candidate } from "./phones.ts";

export const DEFAULT_BATCH_SIZE = 5_000;

export interface VapiNormalizeCounts {
  /** Queued rows taken (calls and webhook deliveries). */
  taken: number;
  /** Calls normalised (matched to a lead). */
  calls: number;
  /** Calls and messages set aside with the reason (vapi_rejects). */
  rejected: number;
}

export interface VapiNormalizeOptions {
  batchSize?: number;
  /** Try every call set aside at normalisation again (otherwise: only once leads changed since). */
  retryRejects?: boolean;
  /** The worker's shutdown (helpers.abortSignal): stops between batches. */
  signal?: AbortSignal;
}

const run = sqlStepRunner(import.meta.dirname);

interface NumberToMatch {
  vapi_call_id: string;
  customer_number: string;
  previous_lead_id: string | null;
}

/** The lead of each call found by number, or why there is none. */
async function matchNumbers(client: PoolClient): Promise<void> {
  const { rows } = await run<NumberToMatch>(client, "numbers-to-match");
  if (!rows.length) return;
  const numbers = new Map<string, string>();
  for (const row of rows) {
    const e164 = toE164(row.customer_number);
    if (e164) numbers.set(row.vapi_call_id, e164);
  }
  const { rows: candidates } = await run<Candidate & { vapi_call_id: string }>(client, "phone-candidates", {
    vapi_call_ids: [...numbers.keys()],
    phone_keys: [...numbers.values()].map(phoneKey),
  });
  const byCall = new Map<string, Candidate[]>();
  for (const candidate of candidates) {
    const list = byCall.get(candidate.vapi_call_id) ?? [];
    list.push(candidate);
    byCall.set(candidate.vapi_call_id, list);
  }
  const callIds: string[] = [];
  const leadIds: (string | null)[] = [];
  const reasons: (string | null)[] = [];
  for (const row of rows) {
    const e164 = numbers.get(row.vapi_call_id);
    let lead: string | null = null;
    let reason: string | null = null;
    if (!e164) {
      reason = `customer number "${row.customer_number}" is not an international phone number`;
    } else {
      const leads = leadsWithNumber(e164, byCall.get(row.vapi_call_id) ?? []);
      // The lead an earlier run chose keeps the call while it has the number
      // (a second lead with the same number added later does not take it).
      if (row.previous_lead_id && leads.includes(row.previous_lead_id)) lead = row.previous_lead_id;
      else if (leads.length === 1) lead = leads[0]!;
      else if (leads.length) reason = `number ${e164} matches ${leads.length} leads`;
      else reason = `no lead has ${e164}`;
    }
    callIds.push(row.vapi_call_id);
    leadIds.push(lead);
    reasons.push(reason);
  }
  await run(client, "phone-matches", { vapi_call_ids: callIds, lead_ids: leadIds, reasons });
}

/** One batch; returns how many pending rows it took (0 = none left). */
async function normalizeBatch(client: PoolClient, batchSize: number): Promise<{ taken: number; calls: number; rejected: number }> {
  return inTransaction(client, async () => {
    await run(client, "create-staged");
    const taken = (await run(client, "claim", { batch_size: batchSize })).rowCount ?? 0;
    if (!taken) return { taken: 0, calls: 0, rejected: 0 };
    await run(client, "webhook-calls");
    await run(client, "stage-calls");
    await run(client, "match-external-ids");
    await matchNumbers(client);
    await run(client, "phone-memberships");
    await run(client, "membership-campaigns");
    await run(client, "unmatched");
    const rejected = (await run(client, "rejects")).rowCount ?? 0;
    await run(client, "forget-fixed-rejects");
    await run(client, "drop-rejected");
    const calls = (await run(client, "call-matches")).rowCount ?? 0;
    await run(client, "events");
    await run(client, "call-workflow");
    return { taken, calls, rejected };
  });
}

/** Drains leadgraph_private.vapi_pending in batches. */
export async function normalizeVapi(client: PoolClient, options: VapiNormalizeOptions = {}): Promise<VapiNormalizeCounts> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const counts: VapiNormalizeCounts = { taken: 0, calls: 0, rejected: 0 };
  await run(client, "requeue-rejects", { all: options.retryRejects ?? false });
  for (;;) {
    // The worker's shutdown stops it between batches: what is left stays pending.
    options.signal?.throwIfAborted();
    const result = await normalizeOrSetAside(client, batchSize);
    counts.taken += result.taken;
    counts.calls += result.calls;
    counts.rejected += result.rejected;
    if (result.taken < batchSize) break;
  }
  return counts;
}

/**
 * One bad row must not stop the rest: a batch failing on its data is split in
 * halves (the pending rows are taken in a fixed order) down to the one row
 * that fails, which is set aside with the error.
 */
async function normalizeOrSetAside(client: PoolClient, size: number): Promise<{ taken: number; calls: number; rejected: number }> {
  try {
    return await normalizeBatch(client, size);
  } catch (error) {
    if (!isDataError(error)) throw error;
    if (size === 1) {
      await inTransaction(client, async () => {
        await run(client, "claim", { batch_size: 1 });
        await run(client, "set-aside", { reason: `could not be normalised: ${(error as Error).message}` });
      });
      return { taken: 1, calls: 0, rejected: 1 };
    }
    const half = Math.ceil(size / 2);
    const first = await normalizeOrSetAside(client, half);
    if (first.taken < half) return first;
    const second = await normalizeOrSetAside(client, size - half);
    return { taken: first.taken + second.taken, calls: first.calls + second.calls, rejected: first.rejected + second.rejected };
  }
}
