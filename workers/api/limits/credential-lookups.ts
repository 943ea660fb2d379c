import { consumeRateLimit } from "../../../durable-objects/rate-limiter-client";
import type { Config } from "../env";
import { ipLimitKey } from "../lib/client-ip";
import { ApiError } from "../lib/errors";

/**
 * Database lookups of credentials the edge could not verify from memory or Upstash, per client
 * address (global in the region, not per tenant: the tenant named in an unverified key is the
 * attacker's choice). Known keys never get here more than once a minute per isolate, so the
 * limit only bites on a stream of unknown keys, each of which would otherwise cost the region's
 * database a query.
 */
export const CREDENTIAL_LOOKUP_LIMIT = { name: "credential-lookups", limit: 300, windowMs: 60_000 } as const;

/** Counts one lookup for `ip`; a 429 (with Retry-After) when the address has used its share. */
export async function guardCredentialLookup(
  namespace: Env["RATE_LIMITER"],
  config: Config,
  ip: string | null,
): Promise<void> {
  if (!config.rateLimitsEnabled) return;
  if (!namespace) throw new Error("RATE_LIMITER binding is missing");
  const decision = await consumeRateLimit(
    namespace,
    { region: config.region, localRuntime: config.localRuntime },
    `credential-lookups:ip:${ipLimitKey(ip)}`,
    CREDENTIAL_LOOKUP_LIMIT,
  );
  if (decision.allowed) return;
  const retryAfter = Math.max(1, Math.ceil((decision.resetAt - Date.now()) / 1000));
  throw new ApiError("RATE_LIMITED", "Too many unknown credentials from this address; retry later", {
    headers: {
      "Retry-After": String(retryAfter),
      "X-RateLimit-Limit": String(decision.limit),
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": String(Math.ceil(decision.resetAt / 1000)),
    },
  });
}
