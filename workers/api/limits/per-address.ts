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
 * Provider webhooks (POST /api/v1/payments/webhook/…), counted per connection, not per address: a
 * provider sends a whole storm from a handful of addresses, and a storm is what the intake exists
 * for (500 payments a second moving is ~5,000 deliveries with retries). Counted only once the URL
 * names a live connection; unknown URLs and refused signatures still count against the address's
 * public limit, so neither a forger nor a guesser gets more than any anonymous caller.
 */
export const PROVIDER_WEBHOOK_LIMIT: PerAddressLimit = {
  name: "provider-webhooks",
  limit: 600_000,
  windowMs: 60_000,
  refusal: "Too many webhook deliveries for this connection; retry after Retry-After",
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
  return countPerKey(namespace, config, `ip:${ipLimitKey(ip)}`, policy, "ip");
}

/** countPerAddress for any key the caller vouches for (a connection id that exists, …). */
export async function countPerKey(
  namespace: Env["RATE_LIMITER"],
  config: Config,
  key: string,
  policy: PerAddressLimit,
  layerName: "ip" | "connection" = "ip",
): Promise<Record<string, string>> {
  if (!namespace) throw new Error("RATE_LIMITER binding is missing");
  let decision: Awaited<ReturnType<typeof consumeRateLimit>>;
  try {
    decision = await consumeRateLimit(
      namespace,
      { region: config.region, localRuntime: config.localRuntime },
      `${policy.name}:${key}`,
      policy,
    );
  } catch (cause) {
    throw ApiError.unavailable("Rate limiting is unavailable", 2, cause);
  }
  const layer = { layer: layerName, limit: decision.limit, windowSeconds: policy.windowMs / 1000 } as const;
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
