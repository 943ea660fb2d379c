import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../../../db/client";
import { tenantRows } from "../../../db/rows";
import { tenantStatuses, tenantTiers } from "../../../db/schema/tenants";
import { isRegionId, type RegionId } from "../../../regions/registry";
import type { Config } from "../env";
import { TtlCache } from "../lib/ttl-cache";
import { type Defer, deferOrAwait, deleteKey, readJson, writeJson } from "../lib/upstash";
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

/** How long an isolate serves an entry from memory: the bound on a published change reaching it. */
export const DIRECTORY_CACHE_TTL_MS = 30_000;
/**
 * How long the global directory (Upstash) keeps an entry: the bound on a change made in Postgres
 * without publishTenant reaching the edge (plus the isolate's 30 s).
 */
export const DIRECTORY_UPSTASH_TTL_SECONDS = 300;

const entries = new TtlCache<DirectoryEntry | null>(DIRECTORY_CACHE_TTL_MS);

/** What the global directory may hold, checked on every read: anything else is ignored. */
const directoryEntrySchema = z
  .object({
    tenantId: z.uuid(),
    region: z.custom<RegionId>((value) => typeof value === "string" && isRegionId(value)),
    tier: z.enum(tenantTiers),
    status: z.enum(tenantStatuses),
    rateLimits: rateLimitOverridesSchema,
  })
  .strict();

/** The global directory's entry, or undefined when absent, malformed or Upstash is unavailable. */
async function entryFromUpstash(config: Config, tenantId: string): Promise<DirectoryEntry | undefined> {
  const entry = await readJson(config, "tenant", tenantId, directoryEntrySchema);
  return entry?.tenantId === tenantId ? entry : undefined;
}

const writeToUpstash = (config: Config, entry: DirectoryEntry) =>
  writeJson(config, "tenant", entry.tenantId, entry, DIRECTORY_UPSTASH_TTL_SECONDS * 1000);

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
 * A tenant of this region. Three levels, each asked only when the one before has no answer:
 * the isolate (no I/O, entries up to 30 s old), the global directory in Upstash (one GET), this
 * region's Postgres (the authority; its answer is then written to Upstash, after the response
 * when `defer` is given). Upstash down, slow or unset: straight to Postgres, never an error.
 * Null when no such tenant lives here.
 */
export async function lookupTenant(
  config: Config,
  db: () => Database,
  tenantId: string,
  defer?: Defer,
): Promise<DirectoryEntry | null> {
  const cached = entries.get(tenantId);
  if (cached !== undefined) return cached;
  const shared = await entryFromUpstash(config, tenantId);
  // The directory is global; an entry naming another region is not a tenant of this one, and
  // only this region's database can say whether it is.
  if (shared && shared.region === config.region) {
    entries.set(tenantId, shared);
    return shared;
  }
  const entry = await entryFromDatabase(db(), tenantId);
  entries.set(tenantId, entry);
  if (entry) await deferOrAwait(writeToUpstash(config, entry), defer);
  return entry;
}

/**
 * After a tenant's tier, status or overrides changed in Postgres (or a tenant was created): this
 * isolate and the global directory get the new entry at once; other isolates within 30 s. When
 * Upstash is unreachable the old entry there expires within DIRECTORY_UPSTASH_TTL_SECONDS.
 */
export async function publishTenant(config: Config, entry: DirectoryEntry, defer?: Defer): Promise<void> {
  entries.set(entry.tenantId, entry);
  await deferOrAwait(writeToUpstash(config, entry), defer);
}

/**
 * After a change whose new entry the caller does not have: this isolate and the global directory
 * drop the entry, so the next lookup anywhere asks Postgres (other isolates within 30 s).
 */
export async function invalidateTenant(config: Config, tenantId: string, defer?: Defer): Promise<void> {
  entries.delete(tenantId);
  await deferOrAwait(deleteKey(config, "tenant", tenantId), defer);
}

/** This isolate only: the next lookup here asks Upstash, then Postgres. */
export function forgetTenant(tenantId: string): void {
  entries.delete(tenantId);
}

/** Tests: empty this isolate's copies, as a fresh isolate would start. */
export function clearDirectoryCache(): void {
  entries.clear();
}
