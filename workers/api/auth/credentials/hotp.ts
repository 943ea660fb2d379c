/**
 * RFC 4226 HOTP: HMAC-SHA1 of an 8-byte big-endian counter, dynamically truncated to 31 bits,
 * reduced to `digits` decimal digits. TOTP (RFC 6238) is HOTP with the counter being a time step.
 */

/** RFC 4226 §5.3 requires at least 6 digits; its reference code goes up to 8. */
const MIN_DIGITS = 6;
const MAX_DIGITS = 8;

/** An HMAC-SHA1 key for `secret`; import once when computing several counters. */
export function importHotpKey(secret: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
}

export async function hotpWithKey(key: CryptoKey, counter: number, digits = MIN_DIGITS): Promise<string> {
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new RangeError(`HOTP counter must be a non-negative safe integer (got ${counter})`);
  }
  if (!Number.isInteger(digits) || digits < MIN_DIGITS || digits > MAX_DIGITS) {
    throw new RangeError(`HOTP digits must be ${MIN_DIGITS}..${MAX_DIGITS} (got ${digits})`);
  }
  const message = new DataView(new ArrayBuffer(8));
  // setBigUint64 would do, but two 32-bit halves avoid BigInt for a counter under 2^53.
  message.setUint32(0, Math.floor(counter / 2 ** 32));
  message.setUint32(4, counter >>> 0);
  const mac = new DataView(await crypto.subtle.sign("HMAC", key, message.buffer));
  // §5.4 dynamic truncation: the low nibble of the last byte picks 4 bytes; drop the sign bit.
  const offset = mac.getUint8(mac.byteLength - 1) & 0x0f;
  const binary = mac.getUint32(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The HOTP value for `counter` (RFC 4226 Appendix D vectors use 6 digits; RFC 6238's use 8). */
export async function hotp(
  secret: Uint8Array<ArrayBuffer>,
  counter: number,
  digits = MIN_DIGITS,
): Promise<string> {
  return hotpWithKey(await importHotpKey(secret), counter, digits);
}
