import type { LimitDecision } from "../../../durable-objects/rate-limiter";
import { consumeRateLimit, peekRateLimit } from "../../../durable-objects/rate-limiter-client";
import type { Config } from "../env";
import { ipLimitKey } from "../lib/client-ip";
import { sha256Hex } from "./encoding";

/**
 * Sign-in attempts are limited per IP (a spray across accounts: every attempt counts) and per
 * account (guessing one password from many addresses: failed attempts count, so the owner can
 * still sign in after a few typos, and an attacker gets 10 guesses per 15 minutes). Exact
 * counters in the RateLimiter Durable Object; the account key is a hash of the normalised email,
 * so no address sits in Durable Object storage.
 */
export const SIGN_IN_LIMITS = {
  ip: { name: "sign-in-ip", limit: 30, windowMs: 10 * 60_000 },
  accountFailures: { name: "sign-in-account-failures", limit: 10, windowMs: 15 * 60_000 },
} as const;

export interface ThrottleDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

type Namespace = Env["RATE_LIMITER"];

function placementOf(namespace: Namespace, config: Config) {
  if (!namespace) throw new Error("RATE_LIMITER binding is missing: sign-in cannot be throttled");
  return { namespace, placement: { region: config.region, localRuntime: config.localRuntime } };
}

const accountSubject = async (email: string) =>
  `sign-in:account:${await sha256Hex(email.trim().toLowerCase())}`;

function decide(decisions: LimitDecision[]): ThrottleDecision {
  const refused = decisions.filter((d) => !d.allowed);
  if (refused.length === 0) return { allowed: true, retryAfterSeconds: 0 };
  const resetAt = Math.max(...refused.map((d) => d.resetAt));
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)) };
}

/** Before checking credentials: counts the attempt for the IP, looks at the account's failures. */
export async function throttleSignIn(
  ns: Namespace,
  config: Config,
  ip: string | null,
  email: string,
): Promise<ThrottleDecision> {
  const { namespace, placement } = placementOf(ns, config);
  const [byIp, byAccount] = await Promise.all([
    consumeRateLimit(namespace, placement, `sign-in:ip:${ipLimitKey(ip)}`, SIGN_IN_LIMITS.ip),
    peekRateLimit(namespace, placement, await accountSubject(email), SIGN_IN_LIMITS.accountFailures),
  ]);
  return decide([byIp, byAccount]);
}

/** After a failed password or code: one more failure for the account. */
export async function countSignInFailure(ns: Namespace, config: Config, email: string): Promise<void> {
  const { namespace, placement } = placementOf(ns, config);
  await consumeRateLimit(namespace, placement, await accountSubject(email), SIGN_IN_LIMITS.accountFailures);
}
