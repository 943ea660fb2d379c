import { sql } from "drizzle-orm";
import type { RateLimitOverrides } from "../../workers/api/limits/policies";
import { call, tokenFor } from "./helpers";
import { asTenant } from "./oauth-helpers";

const HIGH = { limit: 1_000_000, window_seconds: 3600 };

/** Every layer out of the way except the ones given. */
export const only = (overrides: RateLimitOverrides): RateLimitOverrides => ({
  tenant: HIGH,
  user: HIGH,
  ip: HIGH,
  burst: HIGH,
  ...overrides,
});

/** A tenant of its own for one test (the app role may create it under its own tenant setting). */
export async function limitedTenant(
  rateLimits: RateLimitOverrides,
  tier: "starter" | "professional" | "enterprise" = "starter",
): Promise<string> {
  const id = crypto.randomUUID();
  await asTenant(
    id,
    sql`insert into tenants (id, name, slug, region, country, tier, default_currency, rate_limits)
        values (${id}, 'Limited', ${`limited-${id}`}, 'eu', 'DE', ${tier}, 'EUR', ${JSON.stringify(rateLimits)}::jsonb)`,
  );
  return id;
}

/** A cheap authenticated route (static catalogue): what is measured is the limiter alone. */
export const CHEAP_ROUTE = "/api/v1/iam/permissions";

export interface Caller {
  userId?: string;
  ip?: string;
  headers?: Record<string, string>;
}

export async function hit(tenantId: string, caller: Caller = {}, path = CHEAP_ROUTE, init: RequestInit = {}) {
  const token = await tokenFor({ tenantId, userId: caller.userId ?? "00000000-0000-4000-8000-00000000a001" });
  const headers = new Headers(init.headers);
  headers.set("CF-Connecting-IP", caller.ip ?? "198.51.100.7");
  for (const [name, value] of Object.entries(caller.headers ?? {})) headers.set(name, value);
  return call(path, { ...init, token, headers });
}

export const statuses = (responses: Response[]) =>
  responses.reduce<Record<number, number>>((counts, r) => {
    counts[r.status] = (counts[r.status] ?? 0) + 1;
    return counts;
  }, {});
