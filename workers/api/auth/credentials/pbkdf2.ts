/**
 * The most PBKDF2 iterations Cloudflare's production runtime allows: above it, deriveBits throws
 * `NotSupportedError: Pbkdf2 failed: iteration counts above 100000 are not supported`. workerd
 * enforces this through its LimitEnforcer, which open-source workerd (wrangler dev, the vitest
 * pool) leaves unlimited (cloudflare/workerd#1471; raising the cap is cloudflare/workerd#1346).
 * We enforce it here too, so local runs and tests fail the way production would, and so a stored
 * hash cannot make us do unbounded work.
 */
export const PBKDF2_MAX_ITERATIONS = 100_000;

/** PBKDF2-HMAC-SHA256 (RFC 8018) via WebCrypto. */
export async function pbkdf2Sha256(
  password: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
  keyBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be 1..${PBKDF2_MAX_ITERATIONS} (got ${iterations})`);
  }
  const key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    keyBytes * 8,
  );
  return new Uint8Array(bits);
}
