/**
 * How a password string becomes the bytes we hash, shared by the policy check and the hasher so
 * both measure the same thing.
 *
 * NFKC first: the same password typed on another keyboard or OS (composed vs decomposed accents,
 * full-width forms) must give the same bytes, as NIST SP 800-63B §5.1.1.2 recommends.
 */

/**
 * Upper bound on the hashed bytes. PBKDF2 cost barely grows with password length (HMAC hashes a
 * long key once), but normalising, encoding and carrying megabytes per sign-in attempt is a cheap
 * DoS; no real password is near this.
 */
export const MAX_PASSWORD_BYTES = 1024;

/**
 * The NFKC form as UTF-8, or null when it would exceed MAX_PASSWORD_BYTES. Input longer than that
 * in UTF-16 code units is refused before normalising: each code unit is at least one UTF-8 byte,
 * so such input is over the cap as typed, and NFKC can expand text, so it is not run on
 * unbounded input.
 */
export function encodePassword(password: string): Uint8Array<ArrayBuffer> | null {
  if (password.length > MAX_PASSWORD_BYTES) return null;
  const normalised = password.normalize("NFKC");
  // encodeInto stops at the buffer's end: if it could not take every character, it is too long.
  const buffer = new Uint8Array(MAX_PASSWORD_BYTES);
  const { read, written } = new TextEncoder().encodeInto(normalised, buffer);
  return read === normalised.length ? buffer.subarray(0, written) : null;
}
