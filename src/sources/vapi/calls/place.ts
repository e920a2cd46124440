// Drains the outbox (vapi_call_requests): each request due is placed with
// POST /call once, even across retries and crashes, paced under VAPI's
// concurrency. docs/sources/vapi-calls.md describes the rules.
//
// Once only: a request is marked `placing` (attempts + 1) in its own
// statement before POST /call, and `placed` with the call's id after. A
// request found `placing` is an attempt whose outcome is unknown (the worker
// died, the request timed out, VAPI answered 5xx): before anything else the
// calls VAPI created since the request are listed and matched on
// customer.externalId (= the membership's id). Found: placed. Not found:
// placed again. The caller runs one placer at a time (an advisory lock).
import type { ClientBase } from "pg";
import { VapiRequestError, type CallsApi, type CreateCallBody, type VapiCall } from "../api/client.ts";
import { storeCalls } from "../raw.ts";

type Db = Pick<ClientBase, "query">;

/** Attempts before a request is given up as failed. */
export const MAX_ATTEMPTS = 6;
/** GET /call's largest page. */
const LIST_LIMIT = 1000;
/** A placed call not reported ended after this is no longer counted as under way (a lost webhook, no sync). */
const IN_FLIGHT_HORIZON = "1 hour";
/** Longest wait between attempts. */
const MAX_RETRY_DELAY_MS = 15 * 60_000;
/** How long the placer waits after VAPI refused the key. */
const AUTH_PAUSE_MS = 5 * 60_000;

export interface PlaceOptions {
  /** VAPI_MAX_CONCURRENT_CALLS. */
  maxConcurrentCalls: number;
  /** VAPI_CALL_RETRY_MS: first wait after an unclear failure, doubling; also the wait while concurrency is full. */
  retryDelayMs: number;
  logger: { info(message: string): void; warn(message: string): void; error(message: string): void };
  signal?: AbortSignal;
}

export interface PlaceSummary {
  placed: number;
  /** Requests found already placed at VAPI (an attempt that crashed or timed out). */
  reconciled: number;
  failed: number;
  /** Requests moved to their campaign's next call hours. */
  deferred: number;
  /** Why the pass stopped before the outbox was empty. */
  stopped?: "auth" | "concurrency" | "retry";
  /** When the placer should look again (null: when the earliest open request is due). */
  nextRunAt: Date | null;
}

interface Request {
  id: string;
  campaign_lead_id: string;
  lead_id: string;
  reason: "workflow" | "manual";
  customer_number: string;
  was: "queued" | "placing";
  attempts: number;
  requested_at: Date;
  error: string | null;
}

interface Details {
  vapi_assistant_id: string | null;
  vapi_phone_number_id: string | null;
  first_name: string | null;
  last_name: string | null;
  full_name: string | null;
  company_name: string | null;
  offer_name: string | null;
  last_email_subject: string | null;
  latest_at: Date;
}

export async function placeCalls(db: Db, api: CallsApi, options: PlaceOptions): Promise<PlaceSummary> {
  const summary: PlaceSummary = { placed: 0, reconciled: 0, failed: 0, deferred: 0, nextRunAt: null };
  const later = (ms: number) => new Date(Date.now() + ms);

  // Workflow requests whose time came outside the call hours (the job ran
  // late, the hours changed) wait for the next call hours.
  const deferred = await db.query(
    `update vapi_call_requests r
        set not_before = leadgraph_rules.next_call_time(now(), c.timezone, c.call_hours_start, c.call_hours_end, c.call_days)
       from campaigns c
      where c.id = r.campaign_id and r.state = 'queued' and r.reason = 'workflow' and r.not_before <= now()
        and leadgraph_rules.next_call_time(now(), c.timezone, c.call_hours_start, c.call_hours_end, c.call_days) > now()`,
  );
  summary.deferred = deferred.rowCount ?? 0;

  for (;;) {
    if (options.signal?.aborted) break;
    if ((await inFlight(db)) >= options.maxConcurrentCalls) {
      // Our count may be stale (no webhook yet): ask VAPI how our calls stand.
      await refreshInFlight(db, api);
      if ((await inFlight(db)) >= options.maxConcurrentCalls) {
        summary.stopped = "concurrency";
        summary.nextRunAt = later(options.retryDelayMs);
        break;
      }
    }
    const request = await claim(db);
    if (!request) break;

    if (request.was === "placing") {
      const found = await findPlacedCall(db, api, request).catch((error: unknown) => error as Error);
      if (found instanceof Error) {
        // Cannot tell whether it was placed: never place it blind.
        await retryLater(db, request, `could not check VAPI for an earlier attempt: ${found.message}`, options);
        if (found instanceof VapiRequestError && (found.status === 401 || found.status === 403)) {
          options.logger.error(`VAPI refused the API key (${found.message}): no calls are placed until VAPI_API_KEY is fixed`);
          summary.stopped = "auth";
          summary.nextRunAt = later(AUTH_PAUSE_MS);
        } else {
          summary.stopped = "retry";
        }
        break;
      }
      if (found) {
        await markPlaced(db, request, found);
        summary.reconciled++;
        options.logger.info(`VAPI call ${found.id} for request ${request.id} was already placed (an earlier attempt): recorded`);
        continue;
      }
      if (request.attempts >= MAX_ATTEMPTS) {
        await markFailed(db, request, `gave up after ${request.attempts} attempts: ${request.error ?? "no answer from VAPI"}`);
        summary.failed++;
        continue;
      }
      await db.query("update vapi_call_requests set attempts = attempts + 1 where id = $1", [request.id]);
      request.attempts++;
    }

    const details = await detailsOf(db, request.id);
    if (!details.vapi_assistant_id || !details.vapi_phone_number_id) {
      await markFailed(db, request, "the campaign has no VAPI assistant or phone number (vapiAssistantId, vapiPhoneNumberId)");
      summary.failed++;
      continue;
    }
    let call;
    try {
      call = await api.createCall(bodyOf(request, details));
    } catch (error) {
      const status = error instanceof VapiRequestError ? error.status : "network";
      const message = (error as Error).message;
      if (status === 401 || status === 403) {
        // Refused before anything was created: the request waits, as it was.
        await db.query("update vapi_call_requests set state = 'queued', attempts = attempts - 1, error = $2 where id = $1", [
          request.id,
          message,
        ]);
        options.logger.error(`VAPI refused the API key (${message}): no calls are placed until VAPI_API_KEY is fixed`);
        summary.stopped = "auth";
        summary.nextRunAt = later(AUTH_PAUSE_MS);
        break;
      }
      if (typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429) {
        await markFailed(db, request, message);
        summary.failed++;
        options.logger.warn(`VAPI refused the call of request ${request.id}: ${message}`);
        continue;
      }
      // 429 after the client's retries, 5xx, a timeout: the call may exist.
      // It stays `placing`, so the next attempt looks for it first.
      await retryLater(db, request, message, options);
      options.logger.warn(`placing request ${request.id} failed (${message}); it is checked and retried later`);
      summary.stopped = "retry";
      break;
    }
    await markPlaced(db, request, call);
    summary.placed++;
    const limits = call.subscriptionLimits;
    if (limits?.concurrencyBlocked || limits?.remainingConcurrentCalls === 0) {
      summary.stopped = "concurrency";
      summary.nextRunAt = later(options.retryDelayMs);
      break;
    }
  }
  return summary;
}

/**
 * Our calls under way at VAPI: placed and not reported ended. (Attempts not
 * yet reconciled are not counted: they are looked for before anything new.)
 */
async function inFlight(db: Db): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from vapi_call_requests r left join vapi_calls_raw c on c.vapi_call_id = r.vapi_call_id
      where r.state = 'placed' and r.placed_at > now() - interval '${IN_FLIGHT_HORIZON}' and c.status is distinct from 'ended'`,
  );
  return rows[0]!.n;
}

/** Reads our calls under way from VAPI into the raw layer (their status decides what is in flight). */
async function refreshInFlight(db: Db, api: CallsApi): Promise<void> {
  const { rows } = await db.query<{ since: Date | null; ids: string[] }>(
    `select min(r.placed_at) as since, coalesce(array_agg(r.vapi_call_id), '{}') as ids
       from vapi_call_requests r left join vapi_calls_raw c on c.vapi_call_id = r.vapi_call_id
      where r.state = 'placed' and r.placed_at > now() - interval '${IN_FLIGHT_HORIZON}' and c.status is distinct from 'ended'`,
  );
  const { since, ids } = rows[0]!;
  if (!since) return;
  const wanted = new Set(ids);
  const calls = (await listCreatedSince(api, new Date(since.getTime() - 60_000))).filter((c) => wanted.has(c.id));
  await storeCalls(db, calls, "api");
}

/** The next request due (unreconciled attempts first); a queued one becomes `placing` with attempts + 1. */
async function claim(db: Db): Promise<Request | undefined> {
  const { rows } = await db.query<Request>(
    `with next as (
       select r.id, r.state as was from vapi_call_requests r
        where r.state in ('queued', 'placing') and r.not_before <= now()
        order by (r.state = 'placing') desc, r.not_before, r.requested_at
        limit 1 for update skip locked
     )
     update vapi_call_requests r
        set state = 'placing', attempts = r.attempts + case when next.was = 'queued' then 1 else 0 end
       from next where r.id = next.id
     returning r.id, r.campaign_lead_id, r.lead_id, r.reason, r.customer_number, next.was, r.attempts, r.requested_at, r.error`,
  );
  return rows[0];
}

/** What the call says: the campaign's assistant and number, the lead's name, company, offer and last email. */
async function detailsOf(db: Db, requestId: string): Promise<Details> {
  const { rows } = await db.query<Details>(
    `select c.vapi_assistant_id, c.vapi_phone_number_id, l.first_name, l.last_name, l.full_name, co.company_name, o.offer_name,
            coalesce(
              (select e.email_subject from events e
                where e.campaign_lead_id = r.campaign_lead_id and e.email_subject is not null
                  and e.event_type in ('email_sent', 'manual_email_sent')
                order by e.event_timestamp desc limit 1),
              (select e.email_subject from events e
                where e.lead_id = r.lead_id and e.email_subject is not null and e.event_type in ('email_sent', 'manual_email_sent')
                order by e.event_timestamp desc limit 1)) as last_email_subject,
            leadgraph_rules.call_window_end(now(), c.timezone, c.call_hours_end) as latest_at
       from vapi_call_requests r
       join campaigns c on c.id = r.campaign_id
       join leads l on l.id = r.lead_id
       left join companies co on co.id = l.company_id
       left join offers o on o.id = c.offer_id
      where r.id = $1`,
    [requestId],
  );
  return rows[0]!;
}

export function bodyOf(request: Pick<Request, "campaign_lead_id" | "customer_number" | "reason">, details: Details): CreateCallBody {
  const variables: Record<string, string> = {};
  const put = (key: string, value: string | null) => {
    if (value) variables[key] = value;
  };
  put("firstName", details.first_name);
  put("lastName", details.last_name);
  put("company", details.company_name);
  put("offer", details.offer_name);
  put("lastEmailSubject", details.last_email_subject);
  const now = new Date();
  return {
    assistantId: details.vapi_assistant_id!,
    phoneNumberId: details.vapi_phone_number_id!,
    customer: {
      number: request.customer_number,
      ...(details.full_name ? { name: details.full_name.slice(0, 40) } : {}),
      externalId: request.campaign_lead_id,
    },
    assistantOverrides: { variableValues: variables },
    // The workflow's calls stay inside the call hours even if VAPI queues them;
    // a call queued by hand ("Call now") goes now.
    ...(request.reason === "workflow" && details.latest_at > now
      ? { schedulePlan: { earliestAt: now.toISOString(), latestAt: details.latest_at.toISOString() } }
      : {}),
  };
}

/**
 * The call an earlier attempt of `request` created, if any: calls created
 * since a minute before the request whose customer.externalId is its
 * membership, not already another request's call. GET /call has no
 * externalId filter: filtered here.
 */
async function findPlacedCall(db: Db, api: CallsApi, request: Request): Promise<VapiCall | undefined> {
  const { rows } = await db.query<{ vapi_call_id: string }>(
    "select vapi_call_id from vapi_call_requests where campaign_lead_id = $1 and vapi_call_id is not null and id <> $2",
    [request.campaign_lead_id, request.id],
  );
  const taken = new Set(rows.map((r) => r.vapi_call_id));
  const calls = await listCreatedSince(api, new Date(request.requested_at.getTime() - 60_000));
  return calls
    .filter((c) => c.customer?.externalId === request.campaign_lead_id && !taken.has(c.id))
    .sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)))[0];
}

/**
 * Every call created since `since` (before `until` when given). GET /call has
 * no cursor and answers at most 1,000: a full page is split into two windows
 * until each is complete. No upper bound by default: VAPI's clock is not ours.
 */
export async function listCreatedSince(api: CallsApi, since: Date, until?: Date): Promise<VapiCall[]> {
  const calls = await api.listCalls({
    createdAtGe: since.toISOString(),
    ...(until ? { createdAtLt: until.toISOString() } : {}),
    limit: LIST_LIMIT,
  });
  if (calls.length < LIST_LIMIT) return calls;
  const newest = Math.max(...calls.map((c) => Date.parse(String(c.createdAt)) || since.getTime()));
  const top = until?.getTime() ?? newest + 1;
  if (top - since.getTime() <= 1) return calls;
  const middle = new Date(Math.floor((since.getTime() + top) / 2));
  return [...(await listCreatedSince(api, since, middle)), ...(await listCreatedSince(api, middle, until))];
}

async function markPlaced(db: Db, request: Request, call: VapiCall): Promise<void> {
  // The raw layer first: a crash between the two is reconciled to the same call.
  await storeCalls(db, [call], "api");
  await db.query(
    "update vapi_call_requests set state = 'placed', vapi_call_id = $2, placed_at = now(), error = null where id = $1 and state = 'placing'",
    [request.id, call.id],
  );
}

async function markFailed(db: Db, request: Request, error: string): Promise<void> {
  await db.query(
    `with failed as (
       update vapi_call_requests set state = 'failed', error = $2 where id = $1 and state = 'placing' returning campaign_lead_id
     )
     update campaign_leads cl set call_status = 'failed'
       from failed f
      where cl.id = f.campaign_lead_id
        and leadgraph_rules.call_status_rank(cl.call_status) < leadgraph_rules.call_status_rank('failed')`,
    [request.id, error],
  );
}

async function retryLater(db: Db, request: Request, error: string, options: PlaceOptions): Promise<void> {
  const delay = Math.min(MAX_RETRY_DELAY_MS, options.retryDelayMs * 2 ** Math.max(0, request.attempts - 1));
  await db.query(
    "update vapi_call_requests set error = $2, not_before = now() + $3 * interval '1 millisecond' where id = $1 and state = 'placing'",
    [request.id, error, delay],
  );
}
