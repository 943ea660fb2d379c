import { createMiddleware } from "hono/factory";
import { hitRateLimits } from "../../../durable-objects/rate-limiter-client";
import type { AppEnv } from "../app-env";
import { FORWARDED_CLIENT_HEADER, forwardedClientIp } from "../auth/forwarded-client";
import { clientIp, ipLimitKey } from "../lib/client-ip";
import { ApiError } from "../lib/errors";
import { logError } from "../lib/log-error";
import { deferOf, serviceDatabase } from "../lib/service-context";
import { BlockedKeys } from "../limits/blocked-keys";
import { layerLimits } from "../limits/policies";
import { type LayerState, rateLimitHeaders } from "../limits/rate-limit-headers";
import { limiterName, requestChecks } from "../limits/request-limits";
import { lookupTenant } from "../services/tenant-directory";
import { FORWARDED_FROM_HEADER } from "./residency";

// Per isolate: counters known to be over their limit until their window ends.
const blocked = new BlockedKeys();

const refusal = (headers: Record<string, string>) =>
  new ApiError("RATE_LIMITED", "Rate limit exceeded; retry after the time in Retry-After", { headers });

/**
 * Every authenticated request of this region's tenants is counted against all its layers
 * (limits/policies.ts) in one call to the tenant's RateLimiter object, before any handler runs:
 * a refused request does no database work. The tenant's plan comes from the directory (isolate
 * cache first). Requests for other regions were forwarded by residency and are counted at home.
 */
export const rateLimit = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const actor = c.get("actor");
    const config = c.get("config");
    if (!actor || !config.rateLimitsEnabled) return next();

    const tenant = await lookupTenant(config, () => serviceDatabase(c), actor.tenantId, deferOf(c));
    if (!tenant) throw ApiError.unauthenticated("The credential's tenant does not exist");
    if (tenant.status === "suspended") throw new ApiError("FORBIDDEN", "This tenant is suspended");

    const limits = layerLimits(tenant.tier, tenant.rateLimits);
    const ip =
      (await forwardedClientIp(
        config,
        c.req.header(FORWARDED_FROM_HEADER),
        c.req.header(FORWARDED_CLIENT_HEADER),
      )) ?? clientIp(c.req.raw.headers);
    const checks = requestChecks(actor, ipLimitKey(ip), limits);
    const policies = checks.map((check) => ({ layer: check.layer, ...limits[check.layer] }));
    const keys = checks.map((check) => `${actor.tenantId}|${check.key}`);
    const now = Date.now();

    const known = blocked.refusing(keys, now);
    if (known.length > 0) throw refusal(rateLimitHeaders(policies, known, now));

    const namespace = c.env.RATE_LIMITER;
    if (!namespace) throw new Error("RATE_LIMITER binding is missing");
    let result: Awaited<ReturnType<typeof hitRateLimits>>;
    try {
      result = await hitRateLimits(
        namespace,
        { region: config.region, localRuntime: config.localRuntime },
        limiterName(actor.tenantId),
        checks,
      );
    } catch (cause) {
      // Fails closed: without its counters the edge cannot tell abuse from use.
      logError("rate limiter unavailable", c.get("requestId"), cause);
      throw ApiError.unavailable("Rate limiting is unavailable", 2, cause);
    }

    const states = policies.map((policy, i): LayerState => {
      const decision = result.decisions[i];
      if (!decision) throw new Error("rate limiter answered fewer decisions than checks");
      return {
        ...policy,
        remaining: decision.remaining,
        resetInMs: Math.max(0, decision.resetAt - result.now),
        allowed: decision.allowed,
      };
    });
    const headers = rateLimitHeaders(policies, states, now);
    if (!result.allowed) {
      for (const [i, state] of states.entries()) {
        const key = keys[i];
        if (!state.allowed && key) blocked.remember(key, state, now);
      }
      throw refusal(headers);
    }

    await next();
    try {
      for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    } catch {
      // A response passed through from fetch() has immutable headers: a copy takes them.
      const copy = new Response(c.res.body, c.res);
      for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
      c.res = copy;
    }
  });
