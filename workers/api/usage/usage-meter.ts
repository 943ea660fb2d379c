import { sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { tenantRows } from "../../../db/rows";
import { CoalescedRuns } from "../events/coalesced-runs";

const HOUR_MS = 3_600_000;

interface Counts {
  requests: number;
  rateLimited: number;
}

/**
 * Request counters per tenant and hour, kept in the isolate and added to `usage_counters` after
 * the response. Writes are coalesced per tenant (events/coalesced-runs.ts): at most one upsert
 * in flight and one queued, so a tenant's burst of requests costs a few statements, not one
 * each, and never contends on its row. A failed write puts its counts back for the next one.
 * What an isolate counted and had not written when it died is lost: the charts are a picture of
 * use, not a bill (the rate limiter's own counters are the enforcement).
 */
export class UsageMeter {
  readonly #pending = new Map<string, Map<number, Counts>>();
  readonly #runs = new CoalescedRuns();

  count(tenantId: string, at: Date, refused: boolean): void {
    const hour = Math.floor(at.getTime() / HOUR_MS) * HOUR_MS;
    this.#add(tenantId, hour, { requests: 1, rateLimited: refused ? 1 : 0 });
  }

  #add(tenantId: string, hour: number, more: Counts): void {
    let hours = this.#pending.get(tenantId);
    if (!hours) {
      hours = new Map();
      this.#pending.set(tenantId, hours);
    }
    const counts = hours.get(hour) ?? { requests: 0, rateLimited: 0 };
    counts.requests += more.requests;
    counts.rateLimited += more.rateLimited;
    hours.set(hour, counts);
  }

  /** Writes the tenant's pending counts (with whatever arrives before the write starts). */
  flush(tenantId: string, db: () => Database, onError: (cause: unknown) => void): Promise<void> {
    return this.#runs.run(tenantId, async () => {
      const hours = this.#pending.get(tenantId);
      if (!hours || hours.size === 0) return;
      this.#pending.delete(tenantId);
      const statements = [...hours].map(
        ([hour, counts]) =>
          sql`insert into usage_counters (tenant_id, hour, requests, rate_limited)
              values (${tenantId}, ${new Date(hour).toISOString()}, ${counts.requests}, ${counts.rateLimited})
              on conflict (tenant_id, hour) do update
              set requests = usage_counters.requests + excluded.requests,
                  rate_limited = usage_counters.rate_limited + excluded.rate_limited`,
      );
      try {
        await tenantRows(db(), tenantId, statements);
      } catch (cause) {
        for (const [hour, counts] of hours) this.#add(tenantId, hour, counts);
        onError(cause);
      }
    });
  }

  /** Tenants with counts not yet written (for tests). */
  get pendingTenants(): number {
    return this.#pending.size;
  }
}
