import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { hitRateLimits } from "../../../durable-objects/rate-limiter-client";
import type { AppEnv } from "../app-env";
import { clientAddress } from "../auth/forwarded-client";
import { ipLimitKey } from "../lib/client-ip";
import { ApiError } from "../lib/errors";
import { logError } from "../lib/log-error";
import type { PublicRoutes } from "../lib/public-routes";
import { deferOf, serviceDatabase } from "../lib/service-context";
import { Admissions } from "../limits/admission";
import { countPerAddress, PUBLIC_REQUEST_LIMIT } from "../limits/per-address";
import { layerLimits } from "../limits/policies";
import { rateLimitHeaders } from "../limits/rate-limit-headers";
import { limiterName, requestChecks } from "../limits/request-limits";
import { recordMetric } from "../observability/metrics";
import { lookupTenant } from "../services/tenant-directory";

// Per isolate: counters known to be full, leases of admissions, calls in flight.
const admissions = new Admissions();

const refusal = (headers: Record<string, string>) =>
  new ApiError("RATE_LIMITED", "Rate limit exceeded; retry after the time in Retry-After", { headers });

/**
 * Every authenticated request of this region's tenants is counted against all its layers
 * (limits/policies.ts) before any handler runs, by the tenant's RateLimiter object: at most one
 * call per request, fewer far from the limits, where a call leases several admissions (see
 * limits/admission.ts). A refused request does no database work. The tenant's plan comes from the directory (isolate
 * cache first). Requests for other regions were forwarded by residency and are counted at home.
 * Public routes have no actor, so they are counted per client address instead
 * (limits/per-address.ts).
 */
export const rateLimit = (publicRoutes: PublicRoutes) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const actor = c.get("actor");
    const config = c.get("config");
    if (!config.rateLimitsEnabled) return next();
    if (publicRoutes.matches(c)) {
      if (publicRoutes.countsItsOwn(c)) return next();
      const ip = await clientAddress(config, c.req.raw.headers);
      const headers = await countPerAddress(c.env.RATE_LIMITER, config, ip, PUBLIC_REQUEST_LIMIT);
      await next();
      setHeaders(c, headers);
      return;
    }
    if (!actor) return next();

    const tenant = await lookupTenant(config, () => serviceDatabase(c), actor.tenantId, deferOf(c));
    if (!tenant) throw ApiError.unauthenticated("The credential's tenant does not exist");
    if (tenant.status === "suspended") throw new ApiError("FORBIDDEN", "This tenant is suspended");

    const limits = layerLimits(tenant.tier, tenant.rateLimits);
    const ip = await clientAddress(config, c.req.raw.headers);
    const checks = requestChecks(actor, ipLimitKey(ip), limits);
    const policies = checks.map((check) => ({ layer: check.layer, ...limits[check.layer] }));
    const keys = checks.map((check) => `${actor.tenantId}|${check.key}`);
    const namespace = c.env.RATE_LIMITER;
    if (!namespace) throw new Error("RATE_LIMITER binding is missing");
    let admission: Awaited<ReturnType<Admissions["admit"]>>;
    try {
      admission = await admissions.admit(keys, policies, (want, back) =>
        hitRateLimits(
          namespace,
          { region: config.region, localRuntime: config.localRuntime },
          limiterName(actor.tenantId),
          checks,
          want,
          back,
        ),
      );
    } catch (cause) {
      // Fails closed: without its counters the edge cannot tell abuse from use.
      logError("rate limiter unavailable", c.get("requestId"), cause);
      throw ApiError.unavailable("Rate limiting is unavailable", 2, cause);
    }
    const headers = rateLimitHeaders(policies, admission.states, Date.now());
    if (!admission.allowed) {
      for (const state of admission.states.filter((s) => !s.allowed)) {
        recordMetric({
          metric: "rate_limit_refusal",
          region: config.region,
          name: state.layer,
          outcome: "refused",
          value: 1,
          status: 429,
          tenantId: actor.tenantId,
        });
      }
      throw refusal(headers);
    }

    await next();
    setHeaders(c, headers);
  });

function setHeaders(c: Context<AppEnv>, headers: Record<string, string>): void {
  try {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  } catch {
    // A response passed through from fetch() has immutable headers: a copy takes them.
    const copy = new Response(c.res.body, c.res);
    for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
    c.res = copy;
  }
}
