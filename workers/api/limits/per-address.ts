import { consumeRateLimit } from "../../../durable-objects/rate-limiter-client";
import type { Config } from "../env";
import { ipLimitKey } from "../lib/client-ip";
import { ApiError } from "../lib/errors";
import { rateLimitHeaders } from "./rate-limit-headers";

/**
 * Limits counted per client address in the region, where no tenant can be charged: the address
 * is all there is to go on. Each is a counter in the RateLimiter object named for the address.
 */
export interface PerAddressLimit {
  name: string;
  limit: number;
  windowMs: number;
  /** The 429's message. */
  refusal: string;
}

/**
 * Requests to public routes (no credential, so no tenant to count them against). Generous for a
 * sign-up form, tight enough that one address cannot make the edge its free CDN.
 */
export const PUBLIC_REQUEST_LIMIT: PerAddressLimit = {
  name: "public",
  limit: 600,
  windowMs: 60_000,
  refusal: "Too many requests from this address; retry after Retry-After",
};

/**
 * Sign-ups (POST /api/v1/nexus/activate), counted in the home region after validation and before
 * the password is hashed: each one creates a tenant, so an address gets a handful an hour, well
 * under what the public limit would let through.
 */
export const ACTIVATION_LIMIT: PerAddressLimit = {
  name: "activations",
  limit: 20,
  windowMs: 3_600_000,
  refusal: "Too many sign-ups from this address; retry after Retry-After",
};

/**
 * Database lookups of credentials the edge could not verify from memory or Upstash (global in the
 * region, not per tenant: the tenant named in an unverified key is the attacker's choice). Known
 * keys never get here more than once a minute per isolate, so the limit only bites on a stream of
 * unknown keys, each of which would otherwise cost the region's database a query.
 */
export const CREDENTIAL_LOOKUP_LIMIT: PerAddressLimit = {
  name: "credential-lookups",
  limit: 300,
  windowMs: 60_000,
  refusal: "Too many unknown credentials from this address; retry later",
};

/**
 * Counts one hit of `policy` for `ip` and returns the rate-limit headers for the response; a 429
 * with the same headers and Retry-After once the address has used its window. A limiter that
 * cannot be reached answers 503: nothing is served uncounted.
 */
export async function countPerAddress(
  namespace: Env["RATE_LIMITER"],
  config: Config,
  ip: string | null,
  policy: PerAddressLimit,
): Promise<Record<string, string>> {
  if (!namespace) throw new Error("RATE_LIMITER binding is missing");
  let decision: Awaited<ReturnType<typeof consumeRateLimit>>;
  try {
    decision = await consumeRateLimit(
      namespace,
      { region: config.region, localRuntime: config.localRuntime },
      `${policy.name}:ip:${ipLimitKey(ip)}`,
      policy,
    );
  } catch (cause) {
    throw ApiError.unavailable("Rate limiting is unavailable", 2, cause);
  }
  const layer = { layer: "ip", limit: decision.limit, windowSeconds: policy.windowMs / 1000 } as const;
  const now = Date.now();
  const state = {
    ...layer,
    remaining: decision.remaining,
    resetInMs: decision.resetAt - now,
    allowed: decision.allowed,
  };
  const headers = rateLimitHeaders([layer], [state], now);
  if (!decision.allowed) throw new ApiError("RATE_LIMITED", policy.refusal, { headers });
  return headers;
}
