import { z } from "zod";
import type { Database } from "../../../db/client";
import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import { TtlCache } from "../lib/ttl-cache";
import { type Defer, deferOrAwait, deleteKey, readJson, writeJson } from "../lib/upstash";
import { sha256Hex } from "../oauth/encoding";
import { findLiveApiKey, type VerifiedApiKey } from "../services/identity/api-key-lookup";
import { isolateTrustMs } from "./api-key-trust";

export type { VerifiedApiKey };

/**
 * The shared copy in Upstash, keyed by the key's SHA-256 (never the key): ids, role, scopes, two
 * times. `trustedUntil` is when the database was last asked plus API_KEY_CACHE_TTL_SECONDS:
 * no isolate trusts a copy past it, so the bound holds however the copy travelled.
 */
const sharedKeySchema = z
  .object({
    keyId: z.uuid(),
    tenantId: z.uuid(),
    role: z.string().min(1).max(64),
    scopes: z.array(z.string().max(128)).max(64),
    expiresAt: z.number().int(),
    trustedUntil: z.number().int(),
  })
  .strict();
type SharedKey = z.infer<typeof sharedKeySchema>;

// One cache per isolate and configuration (bindings are fixed for an isolate's life).
const caches = new WeakMap<Config, TtlCache<VerifiedApiKey>>();

function cacheFor(config: Config): TtlCache<VerifiedApiKey> {
  let cache = caches.get(config);
  if (!cache) {
    cache = new TtlCache(config.apiKeyCacheTtlSeconds * 1000);
    caches.set(config, cache);
  }
  return cache;
}

const trustMs = (config: Config, key: SharedKey, nowMs: number) =>
  isolateTrustMs(
    { ttlMs: config.apiKeyCacheTtlSeconds * 1000, upstash: config.upstash !== undefined },
    key,
    nowMs,
  );

async function sharedCopy(config: Config, hash: string, tenantId: string): Promise<SharedKey | undefined> {
  const shared = await readJson(config, "apikey", hash, sharedKeySchema);
  return shared?.tenantId === tenantId ? shared : undefined;
}

const verifiedOf = ({ trustedUntil: _, ...key }: SharedKey): VerifiedApiKey => key;

/**
 * A key of this region (the caller parsed it, so its tenant is known): from the isolate, else
 * from the shared copy in Upstash, else one database round trip (whose answer is then shared,
 * after the response when `defer` is given). Unknown, revoked and expired keys are all the same
 * 401, so the answer says nothing about which. Upstash down or unset: the database answers.
 */
export async function verifyApiKey(
  key: string,
  tenantId: string,
  config: Config,
  /** Called only when the database must be asked (may refuse first: see limits/per-address.ts). */
  db: () => Database | Promise<Database>,
  defer?: Defer,
): Promise<VerifiedApiKey> {
  const hash = await sha256Hex(key);
  const cache = cacheFor(config);
  const known = cache.get(hash);
  if (known) return known;

  const shared = await sharedCopy(config, hash, tenantId);
  const now = Date.now();
  if (shared && trustMs(config, shared, now) > 0) {
    cache.set(hash, verifiedOf(shared), now, trustMs(config, shared, now));
    return verifiedOf(shared);
  }

  const found = await findLiveApiKey(await db(), tenantId, hash);
  if (!found) throw ApiError.unauthenticated("Invalid, expired or revoked API key");
  const ttlMs = config.apiKeyCacheTtlSeconds * 1000;
  const entry: SharedKey = { ...found, trustedUntil: now + ttlMs };
  const trusted = trustMs(config, entry, now);
  if (trusted <= 0) return found;
  cache.set(hash, found, now, trusted);
  await deferOrAwait(writeJson(config, "apikey", hash, entry, Math.min(ttlMs, found.expiresAt - now)), defer);
  return found;
}

/**
 * After a revocation or rotation: this isolate stops trusting the key at once and the shared
 * copy is deleted, so other isolates ask the database within API_KEY_ISOLATE_TTL_WITH_UPSTASH_MS
 * (api-key-trust.ts).
 */
export async function forgetApiKey(config: Config, keyHash: string, defer?: Defer): Promise<void> {
  caches.get(config)?.delete(keyHash);
  await deferOrAwait(deleteKey(config, "apikey", keyHash), defer);
}
