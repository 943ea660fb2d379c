import { timingSafeEqual } from "./constant-time";
import { formatPasswordHash, parsePasswordHash } from "./password-hash-format";
import { encodePassword } from "./password-input";
import { PasswordPolicyError } from "./password-policy";
import { pbkdf2Sha256 } from "./pbkdf2";

/**
 * Password hashing for sign-in: PBKDF2-HMAC-SHA256, the only slow KDF WebCrypto offers (Workers
 * has no Argon2; scrypt exists only behind nodejs_compat's node:crypto, and at OWASP's parameters
 * needs 64-128 MiB, the whole isolate's memory).
 *
 * 100,000 iterations is the production Workers cap (see pbkdf2.ts), below OWASP's 600,000 for
 * PBKDF2-SHA256; the stored format records the count, so it can be raised when the platform
 * allows, with needsRehash upgrading each account at its next sign-in.
 */
export const PASSWORD_HASH_PARAMS = { iterations: 100_000, saltBytes: 16, keyBytes: 32 } as const;

export interface PasswordVerification {
  ok: boolean;
  /** The password was right but the stored hash is weaker than PASSWORD_HASH_PARAMS: store a new one. */
  needsRehash: boolean;
}

const REJECTED: PasswordVerification = { ok: false, needsRehash: false };

/**
 * A PHC string for `password` with a fresh 16-byte salt. Does not apply the password policy (call
 * checkPasswordPolicy first when a password is being set); throws PasswordPolicyError("too_long")
 * only for input over MAX_PASSWORD_BYTES, which it will not hash.
 */
export async function hashPassword(password: string): Promise<string> {
  const bytes = encodePassword(password);
  if (!bytes) throw new PasswordPolicyError("too_long");
  const { iterations, saltBytes, keyBytes } = PASSWORD_HASH_PARAMS;
  const salt = crypto.getRandomValues(new Uint8Array(saltBytes));
  const hash = await pbkdf2Sha256(bytes, salt, iterations, keyBytes);
  return formatPasswordHash({ iterations, salt, hash });
}

/**
 * Checks `password` against a stored PHC string. Throws a TypeError when `stored` is not a hash
 * this module understands: that is corrupt data, and failing loudly beats a silent "wrong
 * password" for an account that can then never sign in. A password over MAX_PASSWORD_BYTES is
 * rejected without hashing (it can never have been stored); its fast answer reveals only its
 * length, which the sender already knows.
 */
export async function verifyPassword(password: string, stored: string): Promise<PasswordVerification> {
  const record = parsePasswordHash(stored);
  if (!record) throw new TypeError("Unrecognised password hash format");
  const bytes = encodePassword(password);
  if (!bytes) return REJECTED;
  const derived = await pbkdf2Sha256(bytes, record.salt, record.iterations, record.hash.length);
  if (!timingSafeEqual(derived, record.hash)) return REJECTED;
  const current = PASSWORD_HASH_PARAMS;
  const needsRehash =
    record.iterations < current.iterations ||
    record.salt.length < current.saltBytes ||
    record.hash.length < current.keyBytes;
  return { ok: true, needsRehash };
}

/**
 * A hash of a random password nobody kept, with the current parameters (a unit test keeps it in
 * step with PASSWORD_HASH_PARAMS). Sign-in verifies against it when the account does not exist,
 * so that case costs the same PBKDF2 work as a wrong password and timing does not reveal which
 * accounts exist.
 */
export const DUMMY_HASH =
  "$pbkdf2-sha256$i=100000$4lJMcszuzZoIM/ynjHOz9A$L2sbTgCtbc3DqY+GBvMiv0cHuFdlIQbL5sdogC33PLI";

/** Spends exactly a verification's work and always answers "wrong password". */
export async function verifyAgainstDummy(password: string): Promise<PasswordVerification> {
  await verifyPassword(password, DUMMY_HASH);
  return REJECTED;
}
