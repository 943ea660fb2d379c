/**
 * How long an isolate keeps its own copy of a key while Upstash holds the shared one. A
 * revocation or rotation deletes the shared copy, so with Upstash up it reaches every isolate
 * within this (or API_KEY_CACHE_TTL_SECONDS, if shorter); without Upstash, isolates keep keys
 * for API_KEY_CACHE_TTL_SECONDS.
 */
export const API_KEY_ISOLATE_TTL_WITH_UPSTASH_MS = 10_000;

/**
 * How long an isolate may serve a verified key from memory: its own limit, and never past the
 * copy's trust bound (the database asked + API_KEY_CACHE_TTL_SECONDS) or the key's expiry.
 * Zero or less: ask again.
 */
export function isolateTrustMs(
  settings: { ttlMs: number; upstash: boolean },
  key: { trustedUntil: number; expiresAt: number },
  nowMs: number,
): number {
  const own = settings.upstash
    ? Math.min(API_KEY_ISOLATE_TTL_WITH_UPSTASH_MS, settings.ttlMs)
    : settings.ttlMs;
  return Math.min(own, key.trustedUntil - nowMs, key.expiresAt - nowMs);
}
