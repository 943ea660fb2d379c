import type { Database } from "../../../db/client";
import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import { sha256Hex } from "../oauth/encoding";
import { findLiveApiKey } from "../services/identity/api-key-lookup";
import { ApiKeyCache, type VerifiedApiKey } from "./api-key-cache";

export type { VerifiedApiKey };

// One cache per isolate and configuration (bindings are fixed for an isolate's life).
const caches = new WeakMap<Config, ApiKeyCache>();

function cacheFor(config: Config): ApiKeyCache {
  let cache = caches.get(config);
  if (!cache) {
    cache = new ApiKeyCache(config.apiKeyCacheTtlSeconds * 1000);
    caches.set(config, cache);
  }
  return cache;
}

/**
 * A key of this region (the caller parsed it, so its tenant is known): from the isolate cache
 * when verified less than API_KEY_CACHE_TTL_SECONDS ago, else one database round trip. Unknown,
 * revoked and expired keys are all the same 401, so the answer says nothing about which.
 */
export async function verifyApiKey(
  key: string,
  tenantId: string,
  config: Config,
  db: () => Database,
): Promise<VerifiedApiKey> {
  const hash = await sha256Hex(key);
  const cache = cacheFor(config);
  const known = cache.get(hash, Date.now());
  if (known) return known;
  const found = await findLiveApiKey(db(), tenantId, hash);
  if (!found) throw ApiError.unauthenticated("Invalid, expired or revoked API key");
  cache.set(hash, found, Date.now());
  return found;
}

/** After a revocation or rotation here: this isolate stops trusting the key at once. */
export function forgetApiKey(config: Config, keyId: string): void {
  caches.get(config)?.forget(keyId);
}
