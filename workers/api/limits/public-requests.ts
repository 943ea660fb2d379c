import { consumeRateLimit } from "../../../durable-objects/rate-limiter-client";
import type { Config } from "../env";
import { ipLimitKey } from "../lib/client-ip";
import { ApiError } from "../lib/errors";
import { rateLimitHeaders } from "./rate-limit-headers";

/**
 * Requests to public routes (no credential, so no tenant to count them against), per client
 * address in the region. Generous for a sign-up form, tight enough that one address cannot make
 * the edge its free CDN.
 */
export const PUBLIC_REQUEST_LIMIT = { name: "public-requests", limit: 600, windowMs: 60_000 } as const;

/**
 * Counts one public request for `ip` and returns the rate-limit headers for its response; a 429
 * (with the same headers and Retry-After) once the address has used its window.
 */
export async function countPublicRequest(
  namespace: Env["RATE_LIMITER"],
  config: Config,
  ip: string | null,
): Promise<Record<string, string>> {
  if (!namespace) throw new Error("RATE_LIMITER binding is missing");
  const decision = await consumeRateLimit(
    namespace,
    { region: config.region, localRuntime: config.localRuntime },
    `public:ip:${ipLimitKey(ip)}`,
    PUBLIC_REQUEST_LIMIT,
  );
  const policy = {
    layer: "ip",
    limit: decision.limit,
    windowSeconds: PUBLIC_REQUEST_LIMIT.windowMs / 1000,
  } as const;
  const now = Date.now();
  const headers = rateLimitHeaders(
    [policy],
    [
      {
        ...policy,
        remaining: decision.remaining,
        resetInMs: decision.resetAt - now,
        allowed: decision.allowed,
      },
    ],
    now,
  );
  if (!decision.allowed) {
    throw new ApiError("RATE_LIMITED", "Too many requests from this address; retry after Retry-After", {
      headers,
    });
  }
  return headers;
}
