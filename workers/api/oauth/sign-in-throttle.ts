import type { BackoffCheck } from "../../../durable-objects/limit-decision";
import {
  attemptBackoff,
  consumeRateLimit,
  settleBackoff,
} from "../../../durable-objects/rate-limiter-client";
import type { Config } from "../env";
import { ipLimitKey } from "../lib/client-ip";
import { sha256Hex } from "./encoding";

/**
 * Sign-in slows whoever is failing instead of locking an account, so nobody can lock the owner
 * out by failing on purpose:
 * - per address, every attempt counts in a fixed window (a flood or a spray across accounts);
 * - growing delays (BackoffCheck: after `free` consecutive failures, 2^(n - free) s, at most
 *   `capMs`, before the next attempt is even checked) —
 *   `pair`: this address on this account (ended by the right password);
 *   `account`: this account from every address, but it only slows an address already past its
 *   own free failures on the account, so an address that has not been failing there is never
 *   slowed by someone else's guesses (ended by the right password);
 *   `address`: this address on any account (a spray; one account's success does not end it;
 *   short cap, since an address may be shared by many people).
 * Each attempt is counted as a failure before the password is checked, in the same Durable
 * Object call that checks the delays, so parallel guesses each see the ones before them; an
 * attempt that was not a failure is taken back (`settleSignIn`). The account is a hash of the
 * normalised email and the address within it a hash too: no email sits in Durable Object storage.
 */
export const SIGN_IN_LIMITS = {
  ip: { name: "sign-in-ip", limit: 30, windowMs: 10 * 60_000 },
} as const;

const DAY_MS = 24 * 3_600_000;
export const SIGN_IN_BACKOFF = {
  pair: { free: 3, capMs: 15 * 60_000, forgetMs: DAY_MS },
  account: { free: 10, capMs: 15 * 60_000, forgetMs: DAY_MS },
  address: { free: 10, capMs: 60_000, forgetMs: 15 * 60_000 },
} as const;

const ACCOUNT_KEY = "account";
const ADDRESS_KEY = "failures";

export interface ThrottleDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

type Namespace = Env["RATE_LIMITER"];

function placementOf(namespace: Namespace, config: Config) {
  if (!namespace) throw new Error("RATE_LIMITER binding is missing: sign-in cannot be throttled");
  return { namespace, placement: { region: config.region, localRuntime: config.localRuntime } };
}

/** The Durable Object subjects and delays of one attempt. */
async function subjectsOf(ip: string | null, email: string) {
  const address = ipLimitKey(ip);
  const pairKey = `pair:${await sha256Hex(address)}`;
  const accountChecks: BackoffCheck[] = [
    { key: pairKey, ...SIGN_IN_BACKOFF.pair },
    {
      key: ACCOUNT_KEY,
      ...SIGN_IN_BACKOFF.account,
      when: { key: pairKey, atLeast: SIGN_IN_BACKOFF.pair.free },
    },
  ];
  return {
    account: `sign-in:account:${await sha256Hex(email.trim().toLowerCase())}`,
    address: `sign-in:ip:${address}`,
    pairKey,
    accountChecks,
    addressChecks: [{ key: ADDRESS_KEY, ...SIGN_IN_BACKOFF.address }] as BackoffCheck[],
  };
}

/**
 * Before checking credentials: counts the attempt in the address's window and, if no delay
 * applies, as a failure in every streak (taken back by settleSignIn if it was not one).
 */
export async function throttleSignIn(
  ns: Namespace,
  config: Config,
  ip: string | null,
  email: string,
): Promise<ThrottleDecision> {
  const { namespace, placement } = placementOf(ns, config);
  const s = await subjectsOf(ip, email);
  const refused = (until: number) => ({
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil((until - Date.now()) / 1000)),
  });
  const window = await consumeRateLimit(namespace, placement, s.address, SIGN_IN_LIMITS.ip);
  if (!window.allowed) return refused(window.resetAt);
  const byAddress = await attemptBackoff(namespace, placement, s.address, s.addressChecks);
  if (!byAddress.allowed) return refused(byAddress.retryAt);
  const byAccount = await attemptBackoff(namespace, placement, s.account, s.accountChecks);
  if (!byAccount.allowed) {
    await settleBackoff(namespace, placement, s.address, { clear: [], undo: [ADDRESS_KEY] });
    return refused(byAccount.retryAt);
  }
  return { allowed: true, retryAfterSeconds: 0 };
}

/**
 * An allowed attempt that was not a failure: `signed_in` ends the account's streaks from this
 * address; `second_factor` (the right password, the code still to come) only takes the attempt
 * back. Either way the address's spray streak loses this attempt. A failure needs no call: it
 * was counted in advance.
 */
export async function settleSignIn(
  ns: Namespace,
  config: Config,
  ip: string | null,
  email: string,
  outcome: "signed_in" | "second_factor",
): Promise<void> {
  const { namespace, placement } = placementOf(ns, config);
  const s = await subjectsOf(ip, email);
  const accountKeys = [s.pairKey, ACCOUNT_KEY];
  await Promise.all([
    settleBackoff(namespace, placement, s.address, { clear: [], undo: [ADDRESS_KEY] }),
    settleBackoff(
      namespace,
      placement,
      s.account,
      outcome === "signed_in" ? { clear: accountKeys, undo: [] } : { clear: [], undo: accountKeys },
    ),
  ]);
}
