import { decodeBase64, encodeBase64 } from "./base64";
import { timingSafeEqual } from "./constant-time";

/**
 * Single-use MFA recovery codes, e.g. `7q2m-k9xd-3hfw-p0ta`.
 *
 * Alphabet: Crockford's base32 in lower case (no i, l, o, u), so nothing reads as another
 * character, and on input o→0 and i/l→1 are mapped back as Crockford specifies. 32 symbols give
 * exactly 5 bits each: 16 of them are 80 bits per code.
 *
 * Why a fast hash is right here: a slow KDF exists to make guessing *low-entropy* human passwords
 * expensive. These codes are 80 random bits; with a random per-code salt an attacker holding the
 * database must search 2^80 SHA-256 inputs per code (millions of GPU-years), and the salt stops
 * one search from covering every user's codes at once. PBKDF2 here would add nothing but cost to
 * every sign-in with a code (up to ten comparisons).
 */
export const RECOVERY_CODE_COUNT = 10;

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const CODE_CHARS = 16;
const GROUP_CHARS = 4;
const SALT_BYTES = 16;
const NORMALISED = /^[0-9a-hjkmnp-tv-z]{16}$/;
/** Longer input cannot be a code, however it is spaced: refuse it before any string work. */
const MAX_INPUT_CHARS = 64;
const STORED = /^\$sha256\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw new RangeError(`Recovery code count must be 1..100 (got ${count})`);
  }
  return Array.from({ length: count }, () => {
    // 256 is a multiple of 32, so `byte & 31` is uniform: no modulo bias.
    const chars = Array.from(crypto.getRandomValues(new Uint8Array(CODE_CHARS)), (b) => ALPHABET[b & 31]);
    const groups: string[] = [];
    for (let i = 0; i < CODE_CHARS; i += GROUP_CHARS) groups.push(chars.slice(i, i + GROUP_CHARS).join(""));
    return groups.join("-");
  });
}

/** Lower case, no spaces or dashes, Crockford look-alikes mapped; null when not a code. */
function normaliseRecoveryCode(code: string): string | null {
  if (typeof code !== "string" || code.length > MAX_INPUT_CHARS) return null;
  const compact = code.toLowerCase().replace(/[\s-]/g, "").replace(/o/g, "0").replace(/[il]/g, "1");
  return NORMALISED.test(compact) ? compact : null;
}

async function digest(salt: Uint8Array<ArrayBuffer>, normalised: string): Promise<Uint8Array<ArrayBuffer>> {
  const code = new TextEncoder().encode(normalised);
  const input = new Uint8Array(salt.length + code.length);
  input.set(salt);
  input.set(code, salt.length); // fixed-length salt first, so salt‖code splits only one way
  return new Uint8Array(await crypto.subtle.digest("SHA-256", input));
}

/** `$sha256$<salt B64>$<hash B64>` for storage; throws a TypeError if `code` is not a recovery code. */
export async function hashRecoveryCode(code: string): Promise<string> {
  const normalised = normaliseRecoveryCode(code);
  if (normalised === null) throw new TypeError("Not a recovery code");
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  return `$sha256$${encodeBase64(salt)}$${encodeBase64(await digest(salt, normalised))}`;
}

/**
 * The index in `hashes` of the code's hash, or -1. Pass the user's stored hashes with consumed
 * ones as null, so indices stay stable; the caller then consumes that index with a conditional
 * write (`… WHERE used_at IS NULL`) so two concurrent requests cannot both spend one code.
 * Every entry is compared in constant time and the loop does not stop at a match. A stored entry
 * that is not a recovery code hash is corrupt data and throws a TypeError.
 */
export async function matchRecoveryCode(
  code: string,
  hashes: ReadonlyArray<string | null | undefined>,
): Promise<number> {
  const normalised = normaliseRecoveryCode(code);
  if (normalised === null) return -1;
  let found = -1;
  for (const [index, stored] of hashes.entries()) {
    if (stored == null) continue;
    const match = STORED.exec(stored);
    const salt = decodeBase64(match?.[1] ?? "");
    const hash = decodeBase64(match?.[2] ?? "");
    if (!match || !salt || !hash || salt.length !== SALT_BYTES || hash.length !== 32) {
      throw new TypeError("Unrecognised recovery code hash format");
    }
    if (timingSafeEqual(await digest(salt, normalised), hash) && found === -1) found = index;
  }
  return found;
}
