import { sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { tenantRows } from "../../../db/rows";
import type { tenantStatuses } from "../../../db/schema/tenants";
import type { RegionId } from "../../../regions/registry";
import type { Config } from "../env";
import { TtlCache } from "../lib/ttl-cache";
import { type RateLimitOverrides, rateLimitOverridesSchema, type Tier } from "../limits/policies";

/**
 * What the edge needs to know about a tenant before serving it: where it lives, its plan and
 * whether it may be served. Ids, enums and numbers only: no personal data, so it may be copied to
 * every isolate and to the global directory in Upstash. Postgres (the tenant's home region) is the
 * authority.
 */
export interface DirectoryEntry {
  tenantId: string;
  region: RegionId;
  tier: Tier;
  status: (typeof tenantStatuses)[number];
  rateLimits: RateLimitOverrides;
}

/** How long an isolate serves an entry from memory: the bound on a plan change reaching it. */
export const DIRECTORY_CACHE_TTL_MS = 30_000;

const entries = new TtlCache<DirectoryEntry | null>(DIRECTORY_CACHE_TTL_MS);

/** The authority: the tenant's row in this region's database (row-level security applies). */
async function entryFromDatabase(db: Database, tenantId: string): Promise<DirectoryEntry | null> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select id, region, tier, status, rate_limits from tenants where id = ${tenantId} and not is_deleted`,
  ]);
  const row = rows[0] as
    | { id: string; region: RegionId; tier: Tier; status: DirectoryEntry["status"]; rate_limits: unknown }
    | undefined;
  if (!row) return null;
  // A malformed override must not lift the limits: it falls back to the tier's defaults.
  const overrides = rateLimitOverridesSchema.safeParse(row.rate_limits);
  return {
    tenantId: row.id,
    region: row.region,
    tier: row.tier,
    status: row.status,
    rateLimits: overrides.success ? overrides.data : {},
  };
}

/**
 * A tenant of this region: from the isolate when looked up in the last 30 s, else from the
 * database. Null when no such tenant lives here.
 */
export async function lookupTenant(
  _config: Config,
  db: () => Database,
  tenantId: string,
): Promise<DirectoryEntry | null> {
  const cached = entries.get(tenantId);
  if (cached !== undefined) return cached;
  const entry = await entryFromDatabase(db(), tenantId);
  entries.set(tenantId, entry);
  return entry;
}

/** After a change to a tenant's plan or status in this isolate: the next lookup asks again. */
export function forgetTenant(tenantId: string): void {
  entries.delete(tenantId);
}
