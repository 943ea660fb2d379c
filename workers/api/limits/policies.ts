import { z } from "zod";
import type { tenantTiers } from "../../../db/schema/tenants";

/**
 * The limits every authenticated /api/ request is counted against (API.md, edge policies). Each
 * layer is a sliding window (no window-length interval admits more than its limit); all layers are
 * checked together, in the tenant's RateLimiter object,
 * and a request passes only if every layer has room (a refused request consumes nothing).
 *
 * - tenant: the whole tenant, by plan tier.
 * - user:   one credential (a user, an API key or a client) over an hour.
 * - ip:     one client address (CF-Connecting-IP, IPv6 by /64) over an hour, within the tenant.
 * - burst:  one credential over a minute, so a user's hourly allowance cannot arrive at once.
 */
export const LIMIT_LAYERS = ["tenant", "user", "ip", "burst"] as const;
export type LimitLayer = (typeof LIMIT_LAYERS)[number];

export type Tier = (typeof tenantTiers)[number];

export interface WindowLimit {
  limit: number;
  windowSeconds: number;
}

export type LayerLimits = Record<LimitLayer, WindowLimit>;

const TIER_TENANT_LIMITS: Record<Tier, WindowLimit> = {
  starter: { limit: 100, windowSeconds: 60 },
  professional: { limit: 500, windowSeconds: 60 },
  enterprise: { limit: 2000, windowSeconds: 60 },
};

const SHARED_LIMITS = {
  user: { limit: 1000, windowSeconds: 3600 },
  ip: { limit: 10_000, windowSeconds: 3600 },
  burst: { limit: 200, windowSeconds: 60 },
} as const satisfies Omit<LayerLimits, "tenant">;

const windowLimit = z.object({
  limit: z.number().int().min(1).max(100_000_000),
  window_seconds: z
    .number()
    .int()
    .min(1)
    .max(24 * 3600),
});

/**
 * A tenant's plan overrides (`tenants.rate_limits`): any layer may replace its tier default.
 * Numbers only, no personal data, so the directory in Upstash may carry them.
 */
export const rateLimitOverridesSchema = z
  .object({
    tenant: windowLimit.optional(),
    user: windowLimit.optional(),
    ip: windowLimit.optional(),
    burst: windowLimit.optional(),
  })
  .strict();
export type RateLimitOverrides = z.infer<typeof rateLimitOverridesSchema>;

/** The limits that apply to a tenant: its tier's defaults, then its overrides. */
export function layerLimits(tier: Tier, overrides: RateLimitOverrides = {}): LayerLimits {
  const defaults: LayerLimits = { tenant: TIER_TENANT_LIMITS[tier], ...SHARED_LIMITS };
  const result = { ...defaults };
  for (const layer of LIMIT_LAYERS) {
    const o = overrides[layer];
    if (o) result[layer] = { limit: o.limit, windowSeconds: o.window_seconds };
  }
  return result;
}
