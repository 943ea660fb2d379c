import { decodeBase64, encodeBase64 } from "./base64";
import { PBKDF2_MAX_ITERATIONS } from "./pbkdf2";

/**
 * The stored form of a password hash, in the PHC string format:
 * `$pbkdf2-sha256$i=100000$<salt B64>$<hash B64>`. It carries its own parameters, so the
 * parameters can be raised later while old hashes keep verifying (and get rehashed on sign-in).
 */
export interface PasswordHashRecord {
  iterations: number;
  salt: Uint8Array<ArrayBuffer>;
  hash: Uint8Array<ArrayBuffer>;
}

const PHC = /^\$pbkdf2-sha256\$i=([1-9][0-9]{0,9})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
// Bounds on what we accept from storage: wide enough for any sane past or future parameters.
const MIN_SALT_BYTES = 8;
const MAX_SALT_BYTES = 64;
const MIN_HASH_BYTES = 16;
const MAX_HASH_BYTES = 64;

export function formatPasswordHash({ iterations, salt, hash }: PasswordHashRecord): string {
  return `$pbkdf2-sha256$i=${iterations}$${encodeBase64(salt)}$${encodeBase64(hash)}`;
}

/** The parsed record, or null when `stored` is not a hash this module can verify. */
export function parsePasswordHash(stored: string): PasswordHashRecord | null {
  const match = PHC.exec(stored);
  if (!match) return null;
  const iterations = Number(match[1]);
  const salt = decodeBase64(match[2] ?? "");
  const hash = decodeBase64(match[3] ?? "");
  if (iterations > PBKDF2_MAX_ITERATIONS || !salt || !hash) return null;
  if (salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES) return null;
  if (hash.length < MIN_HASH_BYTES || hash.length > MAX_HASH_BYTES) return null;
  return { iterations, salt, hash };
}
