import { consumeRateLimit } from "../../../durable-objects/rate-limiter-client";
import type { Config } from "../env";
import { ipLimitKey } from "../lib/client-ip";
import { sha256Hex } from "./encoding";

/**
 * Limits of the account pages. Asking for a reset link: per address and per e-mail address
 * typed (hashed: no address sits in Durable Object storage), counted whether or not an account
 * uses it, so the limit itself says nothing about accounts. Redeeming a link: per address (a
 * token is 256 bits; this only bounds the work a client can cause).
 */
export const ACCOUNT_PAGE_LIMITS = {
  forgotIp: { name: "forgot-ip", limit: 10, windowMs: 15 * 60_000 },
  forgotAccount: { name: "forgot-account", limit: 3, windowMs: 60 * 60_000 },
  redeemIp: { name: "account-link-ip", limit: 30, windowMs: 15 * 60_000 },
} as const;

type Namespace = Env["RATE_LIMITER"];

/** Seconds to wait, or 0 when allowed. */
export async function limitAccountPage(
  namespace: Namespace,
  config: Config,
  ip: string | null,
  kind: "forgot" | "redeem",
  email?: string,
): Promise<number> {
  if (!namespace) throw new Error("RATE_LIMITER binding is missing: account pages cannot be limited");
  const placement = { region: config.region, localRuntime: config.localRuntime };
  const address = ipLimitKey(ip);
  const checks: [string, (typeof ACCOUNT_PAGE_LIMITS)[keyof typeof ACCOUNT_PAGE_LIMITS]][] =
    kind === "forgot"
      ? [[`forgot:ip:${address}`, ACCOUNT_PAGE_LIMITS.forgotIp]]
      : [[`account-link:ip:${address}`, ACCOUNT_PAGE_LIMITS.redeemIp]];
  if (kind === "forgot" && email !== undefined) {
    checks.push([
      `forgot:account:${await sha256Hex(email.trim().toLowerCase())}`,
      ACCOUNT_PAGE_LIMITS.forgotAccount,
    ]);
  }
  for (const [subject, policy] of checks) {
    const decision = await consumeRateLimit(namespace, placement, subject, policy);
    if (!decision.allowed) return Math.max(1, Math.ceil((decision.resetAt - Date.now()) / 1000));
  }
  return 0;
}
