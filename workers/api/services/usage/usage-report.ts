import { sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import type { UsageHour, UsageReport } from "../../schemas/usage";
import type { ServiceContext } from "../context";

const HOUR_MS = 3_600_000;

type Row = Record<string, string | number>;

/**
 * The tenant's last `hours` hours, one entry per hour (the current one included): requests and
 * 429s from the usage meter's counters, events from the outbox, webhook attempts and their 2xx
 * answers from the delivery log. One round trip, under the tenant's row-level security.
 */
export async function usageReport(
  ctx: ServiceContext,
  hours: number,
  now = new Date(),
): Promise<UsageReport> {
  const tenantId = ctx.actor.tenantId;
  const end = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS;
  const start = end - hours * HOUR_MS;
  const from = new Date(start).toISOString();
  const to = new Date(end).toISOString();
  const hourOf = (column: ReturnType<typeof sql.raw>) =>
    sql`to_char(date_trunc('hour', ${column} at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:00:00"Z"')`;
  const [requests = [], events = [], attempts = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${hourOf(sql.raw("hour"))} as hour, sum(requests)::int as requests, sum(rate_limited)::int as rate_limited
        from usage_counters where tenant_id = ${tenantId} and hour >= ${from} and hour < ${to} group by 1`,
    sql`select ${hourOf(sql.raw("created_at"))} as hour, count(*)::int as events
        from outbox_events where tenant_id = ${tenantId} and created_at >= ${from} and created_at < ${to} group by 1`,
    sql`select ${hourOf(sql.raw("started_at"))} as hour, count(*)::int as attempts,
          count(*) filter (where response_status between 200 and 299)::int as succeeded
        from webhook_delivery_attempts
        where tenant_id = ${tenantId} and started_at >= ${from} and started_at < ${to} group by 1`,
  ]);
  const byHour = new Map<string, UsageHour>();
  for (let t = start; t < end; t += HOUR_MS) {
    const hour = `${new Date(t).toISOString().slice(0, 13)}:00:00Z`;
    byHour.set(hour, {
      hour,
      requests: 0,
      rate_limited: 0,
      events: 0,
      webhook_attempts: 0,
      webhook_succeeded: 0,
    });
  }
  const at = (row: Row) => byHour.get(String(row.hour));
  for (const row of requests as Row[]) {
    const entry = at(row);
    if (!entry) continue;
    entry.requests = Number(row.requests);
    entry.rate_limited = Number(row.rate_limited);
  }
  for (const row of events as Row[]) {
    const entry = at(row);
    if (entry) entry.events = Number(row.events);
  }
  for (const row of attempts as Row[]) {
    const entry = at(row);
    if (!entry) continue;
    entry.webhook_attempts = Number(row.attempts);
    entry.webhook_succeeded = Number(row.succeeded);
  }
  const list = [...byHour.values()];
  const sum = (pick: (h: UsageHour) => number) => list.reduce((total, h) => total + pick(h), 0);
  const webhookAttempts = sum((h) => h.webhook_attempts);
  const webhookSucceeded = sum((h) => h.webhook_succeeded);
  return {
    from,
    to,
    hours: list,
    totals: {
      requests: sum((h) => h.requests),
      rate_limited: sum((h) => h.rate_limited),
      events: sum((h) => h.events),
      webhook_attempts: webhookAttempts,
      webhook_succeeded: webhookSucceeded,
      webhook_success_rate: webhookAttempts === 0 ? null : webhookSucceeded / webhookAttempts,
    },
  };
}
