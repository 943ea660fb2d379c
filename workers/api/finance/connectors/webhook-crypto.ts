import { timingSafeEqual } from "../../auth/credentials/constant-time";

/**
 * Signature checks over a webhook's raw bytes, all in constant time: `crypto.subtle.verify`
 * compares an HMAC without an early exit, and a shared-secret header is compared through its
 * SHA-256 digest so neither its bytes nor its length leak through timing.
 */

const encoder = new TextEncoder();

/**
 * Imported keys per isolate: a webhook storm verifies thousands of bodies with one secret, and
 * importing it each time was a measurable share of the intake's CPU. A CryptoKey is plain
 * memory, safe to share between requests; non-extractable, so the cache cannot leak the secret
 * more than the connection cache holding it already does. Bounded: oldest out first.
 */
const importedKeys = new Map<string, CryptoKey>();
const MAX_IMPORTED_KEYS = 1_000;

// The key itself is kept, never the promise of it: workerd refuses one request settling a promise
// another request awaits.
async function hmacKey(secret: string, hash: "SHA-256" | "SHA-512"): Promise<CryptoKey> {
  const id = `${hash}:${secret}`;
  const cached = importedKeys.get(id);
  if (cached) return cached;
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash }, false, [
    "verify",
  ]);
  if (importedKeys.size >= MAX_IMPORTED_KEYS) importedKeys.delete(importedKeys.keys().next().value as string);
  importedKeys.set(id, key);
  return key;
}

/** Lower- or upper-case hex to bytes; null for anything else (odd length, other characters). */
export function hexBytes(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) return null;
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** Standard base64 (padding optional) to bytes; null for anything else. */
export function base64Bytes(text: string): Uint8Array<ArrayBuffer> | null {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.replace(/=+$/, "").length % 4 === 1) return null;
  const binary = atob(trimmed);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Whether `signature` is the HMAC of `raw` under any of `secrets`. */
export async function hmacMatchesAny(
  hash: "SHA-256" | "SHA-512",
  secrets: readonly string[],
  signature: Uint8Array<ArrayBuffer>,
  raw: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  let matched = false;
  // Every secret is tried even after a match, so the time does not say which one signed.
  for (const secret of secrets) {
    if (await crypto.subtle.verify("HMAC", await hmacKey(secret, hash), signature, raw)) matched = true;
  }
  return matched;
}

/** Whether a header that carries a shared secret verbatim (Flutterwave's `verif-hash`) equals any of `secrets`. */
export async function sharedSecretMatchesAny(
  secrets: readonly string[],
  presented: string,
): Promise<boolean> {
  const digest = async (text: string) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  const presentedDigest = await digest(presented);
  let matched = false;
  for (const secret of secrets) {
    if (timingSafeEqual(await digest(secret), presentedDigest)) matched = true;
  }
  return matched;
}

/** A dedupe key for a verified body that names no event id: the same delivery retried has the same bytes. */
export async function bodyDigest(raw: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
