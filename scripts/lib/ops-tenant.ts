import { type tenantStatuses, tenantTiers } from "../../db/schema/tenants";
import {
  layerLimits,
  type RateLimitOverrides,
  rateLimitOverridesSchema,
  type Tier,
} from "../../workers/api/limits/policies";
import { type RegionAccess, regionSql } from "./ops-regions";

/** An operator's view of a tenant: its row, its limits in force, and a few counts. */
export interface TenantReport {
  id: string;
  name: string;
  slug: string;
  region: string;
  country: string | null;
  industry: string | null;
  tier: Tier;
  status: (typeof tenantStatuses)[number];
  rate_limits: RateLimitOverrides;
  limits_in_force: Record<string, string>;
  members: number;
  active_api_keys: number;
  contacts: number;
  created_at: string;
  is_deleted: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tenant named by id or slug in this region, or undefined. */
export async function findTenant(access: RegionAccess, idOrSlug: string): Promise<TenantReport | undefined> {
  const sql = regionSql(access);
  const column = UUID.test(idOrSlug) ? "id" : "slug";
  const [row] = await sql<Omit<TenantReport, "limits_in_force">>(
    `select t.id, t.name, t.slug, t.region, t.country, t.industry, t.tier, t.status, t.rate_limits,
            t.created_at::text as created_at, t.is_deleted,
            (select count(*)::int from memberships m where m.tenant_id = t.id) as members,
            (select count(*)::int from api_keys k where k.tenant_id = t.id and k.revoked_at is null and k.expires_at > now()) as active_api_keys,
            (select count(*)::int from contacts c where c.tenant_id = t.id and not c.is_deleted) as contacts
       from tenants t where t.${column} = $1`,
    [idOrSlug.toLowerCase()],
  );
  if (!row) return undefined;
  const overrides = rateLimitOverridesSchema.safeParse(row.rate_limits);
  const limits = layerLimits(row.tier, overrides.success ? overrides.data : {});
  return {
    ...row,
    limits_in_force: Object.fromEntries(
      Object.entries(limits).map(([layer, l]) => [layer, `${l.limit}/${l.windowSeconds}s`]),
    ),
  };
}

export type TenantChange =
  | { kind: "status"; status: "active" | "suspended" }
  | { kind: "tier"; tier: Tier }
  | { kind: "limits"; rateLimits: RateLimitOverrides };

/**
 * Applies one change to the tenant's row (its home region's Postgres is the authority), then
 * drops its entry from the global directory so every edge reads the new row: within the isolate
 * cache's 30 s. Without Upstash access the entry ages out by itself (5 min + 30 s).
 */
export async function changeTenant(
  access: RegionAccess,
  tenantId: string,
  change: TenantChange,
): Promise<{ directory: "invalidated" | "not_configured" | "failed" }> {
  const sql = regionSql(access);
  const [column, value] =
    change.kind === "status"
      ? ["status", change.status]
      : change.kind === "tier"
        ? ["tier", change.tier]
        : ["rate_limits", JSON.stringify(rateLimitOverridesSchema.parse(change.rateLimits))];
  if (change.kind === "tier" && !tenantTiers.includes(change.tier))
    throw new Error(`unknown tier ${change.tier}`);
  const cast = column === "rate_limits" ? "::jsonb" : "";
  const rows = await sql(
    `update tenants set ${column} = $2${cast}, updated_at = now() where id = $1 and not is_deleted returning id`,
    [tenantId, value],
  );
  if (rows.length !== 1) throw new Error(`tenant ${tenantId} not found in ${access.region}`);
  if (!access.upstash) return { directory: "not_configured" };
  try {
    const response = await fetch(access.upstash.url, {
      method: "POST",
      headers: { Authorization: `Bearer ${access.upstash.token}`, "Content-Type": "application/json" },
      body: JSON.stringify(["DEL", `${access.upstash.prefix}tenant:${tenantId}`]),
      signal: AbortSignal.timeout(5000),
    });
    return { directory: response.ok ? "invalidated" : "failed" };
  } catch {
    return { directory: "failed" };
  }
}

/** `1000/60` → 1000 requests per 60 s. */
export function parseWindowLimit(option: string, value: string): { limit: number; window_seconds: number } {
  const match = /^(\d+)\/(\d+)s?$/.exec(value.trim());
  if (!match) throw new Error(`--${option}: expected LIMIT/SECONDS, e.g. 1000/60`);
  return { limit: Number(match[1]), window_seconds: Number(match[2]) };
}
