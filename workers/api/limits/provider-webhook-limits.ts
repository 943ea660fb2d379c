import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { clientAddress } from "../auth/forwarded-client";
import { countPerAddress, countPerKey, PROVIDER_WEBHOOK_LIMIT, PUBLIC_REQUEST_LIMIT } from "./per-address";

/**
 * How the provider webhook intake is counted (its route opts out of the middleware's per-address
 * count): a delivery whose signature checks out counts against its connection
 * (PROVIDER_WEBHOOK_LIMIT); anything else — a malformed or unknown URL, a refused signature —
 * against the caller's address like any public request. Each returns the headers to answer with,
 * or throws the 429.
 */
export async function countUnprovenWebhook(c: Context<AppEnv>): Promise<Record<string, string>> {
  const config = c.get("config");
  if (!config.rateLimitsEnabled) return {};
  const ip = await clientAddress(config, c.req.raw.headers);
  return countPerAddress(c.env.RATE_LIMITER, config, ip, PUBLIC_REQUEST_LIMIT);
}

export async function countProvenWebhook(
  c: Context<AppEnv>,
  connectionId: string,
): Promise<Record<string, string>> {
  const config = c.get("config");
  if (!config.rateLimitsEnabled) return {};
  return countPerKey(
    c.env.RATE_LIMITER,
    config,
    `connection:${connectionId}`,
    PROVIDER_WEBHOOK_LIMIT,
    "connection",
  );
}
