// Webhooks stored while the normaliser runs: each becomes its event. The
// staging statements once claimed queued rows through a volatile function,
// whose delete took a newer snapshot than the statement joining the claimed
// ids to the raw rows: a row committed between the two left the queue
// without being normalised (bench/soak.ts found 2-3 of 6,001 webhooks so).
// The claim is now a statement of its own (09-claim.sql; docs/decisions.md).
// Here one connection stores webhooks, one transaction each, while another
// normalises in small batches, back to back, until both are done; no timing
// is asserted, only that nothing is lost. The race needs a commit inside a
// sub-millisecond window: against the old statements this failed in about
// half the runs (2,999 events of 3,000); with the fix it cannot fail.
import { describe, expect, it } from "vitest";
import { normalizeInstantly } from "../../src/sources/instantly/normalize/index.ts";
import { createTestDatabase } from "../helpers/db.ts";

const db = await createTestDatabase();
const CAMPAIGN = "8f1d2c3a-6b7e-4c21-9d0a-2b5e7f9a1c45";
const WEBHOOKS = 3000;

describe("webhooks stored during a drain", () => {
  it("every one becomes its event, none left behind by the claim", { timeout: 120_000 }, async () => {
    const start = Date.parse("2026-10-21T15:00:00.000Z");
    let stored = 0;
    const deliveries = (async () => {
      for (let n = 0; n < WEBHOOKS; n++) {
        const lead = `race.${n % 20}@race-example.com`;
        await db.pool.query("select * from receive_instantly_webhook($1::jsonb)", [
          JSON.stringify({
            timestamp: new Date(start + n * 1000).toISOString(),
            event_type: n % 2 ? "email_opened" : "link_clicked",
            workspace: "c0ffee00-1111-4222-8333-444455556666",
            campaign_id: CAMPAIGN,
            campaign_name: "Race campaign",
            lead_email: lead,
            email: lead,
            email_account: "alex@getacme-mail.com",
          }),
        ]);
        stored++;
      }
    })();
    const client = await db.pool.connect();
    let normalised = 0;
    try {
      let done = false;
      void deliveries.finally(() => (done = true));
      // One more drain after the last delivery picks up what is still queued.
      for (let last = false; !last;) {
        last = done;
        normalised += (await normalizeInstantly(client, { batchSize: 3 })).webhooks;
      }
      await deliveries;
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query(
      `select (select count(*) from instantly_webhooks_raw)::int as raw,
              (select count(*) from events where event_source = 'instantly')::int as events,
              (select count(*) from leadgraph_private.instantly_pending)::int as pending`,
    );
    expect(stored).toBe(WEBHOOKS);
    expect({ ...rows[0], normalised }).toEqual({ raw: WEBHOOKS, events: WEBHOOKS, pending: 0, normalised: WEBHOOKS });
  });
});
