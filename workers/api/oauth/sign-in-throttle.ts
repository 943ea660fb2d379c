import type { Streak } from "../../../durable-objects/limit-decision";
import {
  clearStreaks,
  consumeRateLimit,
  readStreaks,
  recordFailure,
} from "../../../durable-objects/rate-limiter-client";
import type { Config } from "../env";
import { ipLimitKey } from "../lib/client-ip";
import { sha256Hex } from "./encoding";

/**
 * Sign-in slows whoever is failing instead of locking an account, so nobody can lock the owner
 * out by failing on purpose:
 * - per address, every attempt counts in a fixed window (a flood or a spray across accounts);
 * - growing delays: after `free` consecutive failures, the nth failure must be followed by a wait
 *   of 2^(n - free) s (at most `capMs`) before the next attempt is even checked —
 *   `pair`: this address on this account (cleared by the right password);
 *   `account`: this account from every address, but it only slows an address that is itself past
 *   its own free failures on the account, so an address that has not been failing there is never
 *   slowed by someone else's guesses (cleared by the right password);
 *   `address`: this address on any account (a spray; not cleared by one account's success, short
 *   cap since an address may be shared by many people).
 * Exact state in the RateLimiter Durable Object; the account is a hash of the normalised email
 * and the address within it a hash too, so no email sits in Durable Object storage.
 * Known gap: the check and the count are two steps, so parallel guesses all pass the check; the
 * per-address window bounds such a burst.
 */
export const SIGN_IN_LIMITS = {
  ip: { name: "sign-in-ip", limit: 30, windowMs: 10 * 60_000 },
} as const;

export interface BackoffPolicy {
  key: string;
  free: number;
  capMs: number;
  forgetMs: number;
}

const DAY_MS = 24 * 3_600_000;
export const SIGN_IN_BACKOFF = {
  pair: { key: "pair", free: 3, capMs: 15 * 60_000, forgetMs: DAY_MS },
  account: { key: "account", free: 10, capMs: 15 * 60_000, forgetMs: DAY_MS },
  address: { key: "failures", free: 10, capMs: 60_000, forgetMs: 15 * 60_000 },
} as const satisfies Record<string, BackoffPolicy>;

export interface ThrottleDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

/** When a streak lets the next attempt be checked (epoch ms; 0: now). */
export function nextAttemptAt(streak: Streak, policy: BackoffPolicy): number {
  if (streak.lastAt === null || streak.failures < policy.free) return 0;
  return streak.lastAt + Math.min(policy.capMs, 1000 * 2 ** (streak.failures - policy.free));
}

type Namespace = Env["RATE_LIMITER"];

function placementOf(namespace: Namespace, config: Config) {
  if (!namespace) throw new Error("RATE_LIMITER binding is missing: sign-in cannot be throttled");
  return { namespace, placement: { region: config.region, localRuntime: config.localRuntime } };
}

/** The Durable Object subjects and streak keys of one attempt. */
async function subjectsOf(ip: string | null, email: string) {
  const address = ipLimitKey(ip);
  const pairKey = `${SIGN_IN_BACKOFF.pair.key}:${await sha256Hex(address)}`;
  return {
    account: `sign-in:account:${await sha256Hex(email.trim().toLowerCase())}`,
    address: `sign-in:ip:${address}`,
    accountStreaks: [
      { key: pairKey, forgetMs: SIGN_IN_BACKOFF.pair.forgetMs },
      { key: SIGN_IN_BACKOFF.account.key, forgetMs: SIGN_IN_BACKOFF.account.forgetMs },
    ],
    addressStreaks: [{ key: SIGN_IN_BACKOFF.address.key, forgetMs: SIGN_IN_BACKOFF.address.forgetMs }],
  };
}

const none: Streak = { failures: 0, lastAt: null };

/** Before checking credentials: counts the attempt for the address, looks at the streaks. */
export async function throttleSignIn(
  ns: Namespace,
  config: Config,
  ip: string | null,
  email: string,
): Promise<ThrottleDecision> {
  const { namespace, placement } = placementOf(ns, config);
  const s = await subjectsOf(ip, email);
  const [window, [pair = none, account = none], [address = none]] = await Promise.all([
    consumeRateLimit(namespace, placement, s.address, SIGN_IN_LIMITS.ip),
    readStreaks(namespace, placement, s.account, s.accountStreaks),
    readStreaks(namespace, placement, s.address, s.addressStreaks),
  ]);
  const until = Math.max(
    window.allowed ? 0 : window.resetAt,
    nextAttemptAt(pair, SIGN_IN_BACKOFF.pair),
    pair.failures >= SIGN_IN_BACKOFF.pair.free ? nextAttemptAt(account, SIGN_IN_BACKOFF.account) : 0,
    nextAttemptAt(address, SIGN_IN_BACKOFF.address),
  );
  const now = Date.now();
  if (until <= now) return { allowed: true, retryAfterSeconds: 0 };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) };
}

/** After a wrong password or code: one more failure in each streak. */
export async function countSignInFailure(
  ns: Namespace,
  config: Config,
  ip: string | null,
  email: string,
): Promise<void> {
  const { namespace, placement } = placementOf(ns, config);
  const s = await subjectsOf(ip, email);
  await Promise.all([
    recordFailure(namespace, placement, s.account, s.accountStreaks),
    recordFailure(namespace, placement, s.address, s.addressStreaks),
  ]);
}

/** After the right password (and code): the account's streaks end; the address's spray streak stays. */
export async function countSignInSuccess(
  ns: Namespace,
  config: Config,
  ip: string | null,
  email: string,
): Promise<void> {
  const { namespace, placement } = placementOf(ns, config);
  const s = await subjectsOf(ip, email);
  await clearStreaks(
    namespace,
    placement,
    s.account,
    s.accountStreaks.map((streak) => streak.key),
  );
}
