// The workflow's queueing step: the memberships calls_due() lists (the one
// definition of "due", migration 000023) go into the outbox, to be placed
// inside their campaign's next call hours, and their call_status becomes
// scheduled. Safe to run twice or at once: the outbox takes a membership
// once from the workflow (a unique index), `on conflict do nothing`.
import type { ClientBase } from "pg";

/** Most memberships queued by one run (the next run takes the rest). */
export const SCHEDULE_BATCH = 5000;

export async function scheduleDueCalls(db: Pick<ClientBase, "query">, limit = SCHEDULE_BATCH): Promise<number> {
  const { rows } = await db.query<{ queued: number }>(
    `with due as (
       select d.id, d.lead_id, d.campaign_id,
              leadgraph_rules.call_number(l.phone, l.mobile_phone, l.phones) as number,
              leadgraph_rules.next_call_time(now(), c.timezone, c.call_hours_start, c.call_hours_end, c.call_days) as not_before
       from calls_due() d join leads l on l.id = d.lead_id join campaigns c on c.id = d.campaign_id
       order by d.email_sent_at, d.id
       limit $1
     ), queued as (
       insert into vapi_call_requests (campaign_lead_id, lead_id, campaign_id, reason, customer_number, not_before)
       select id, lead_id, campaign_id, 'workflow', number, coalesce(not_before, now()) from due
       on conflict do nothing
       returning campaign_lead_id, not_before
     ), scheduled as (
       update campaign_leads cl set call_status = 'scheduled', call_scheduled_at = q.not_before
       from queued q
       where cl.id = q.campaign_lead_id
         and leadgraph_rules.call_status_rank(cl.call_status) < leadgraph_rules.call_status_rank('scheduled')
       returning cl.id
     )
     select (select count(*) from queued)::int as queued`,
    [limit],
  );
  // Requests still open (a placer that died, a retry that is due): their job again.
  await db.query("select leadgraph_private.enqueue_vapi_call_placement()");
  return rows[0]!.queued;
}
