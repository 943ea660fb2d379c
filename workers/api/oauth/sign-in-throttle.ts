import { consumeRateLimit } from "../../../durable-objects/rate-limiter-client";
import type { Config } from "../env";
import { ipLimitKey } from "../lib/client-ip";
import { sha256Hex } from "./encoding";

/**
 * Sign-in attempts are limited per IP (a spray across accounts) and per account (guessing one
 * password from many addresses). Exact counters in the RateLimiter Durable Object; the account
 * key is a hash of the normalised email, so no address sits in Durable Object storage.
 */
export const SIGN_IN_LIMITS = {
  ip: { name: "sign-in-ip", limit: 30, windowMs: 10 * 60_000 },
  account: { name: "sign-in-account", limit: 10, windowMs: 15 * 60_000 },
} as const;

export interface ThrottleDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

export async function throttleSignIn(
  namespace: Env["RATE_LIMITER"],
  config: Config,
  ip: string | null,
  email: string,
): Promise<ThrottleDecision> {
  if (!namespace) throw new Error("RATE_LIMITER binding is missing: sign-in cannot be throttled");
  const placement = { region: config.region, localRuntime: config.localRuntime };
  const account = await sha256Hex(email.trim().toLowerCase());
  const [byIp, byAccount] = await Promise.all([
    consumeRateLimit(namespace, placement, `sign-in:ip:${ipLimitKey(ip)}`, SIGN_IN_LIMITS.ip),
    consumeRateLimit(namespace, placement, `sign-in:account:${account}`, SIGN_IN_LIMITS.account),
  ]);
  const refused = [byIp, byAccount].filter((d) => !d.allowed);
  const resetAt = Math.max(0, ...refused.map((d) => d.resetAt));
  return {
    allowed: refused.length === 0,
    retryAfterSeconds: refused.length === 0 ? 0 : Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)),
  };
}
