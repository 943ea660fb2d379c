/**
 * RFC 4648 §6 base32, the encoding authenticator apps expect for TOTP secrets. We write it without
 * padding (the otpauth URI convention); decoding accepts either case and correct padding, and
 * refuses anything else rather than guessing, including non-zero trailing bits.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE32 = /^([A-Za-z2-7]*)(=*)$/;
/** Unpadded lengths mod 8 that a whole number of bytes can produce (RFC 4648 §6 "final quantum"). */
const VALID_REMAINDERS = new Set([0, 2, 4, 5, 7]);

export function encodeBase32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    // Keep only the bits not yet written, so the buffer never outgrows 32 bits.
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes base32; throws a TypeError on any malformed input. */
export function decodeBase32(text: string): Uint8Array<ArrayBuffer> {
  const match = BASE32.exec(text);
  if (!match) throw new TypeError("Invalid base32: unexpected character");
  const body = (match[1] ?? "").toUpperCase();
  const padding = (match[2] ?? "").length;
  const remainder = body.length % 8;
  if (!VALID_REMAINDERS.has(remainder)) throw new TypeError("Invalid base32: impossible length");
  if (padding !== 0 && padding !== (8 - remainder) % 8) {
    throw new TypeError("Invalid base32: wrong padding");
  }

  const bytes = new Uint8Array(Math.floor((body.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of body) {
    buffer = (buffer << 5) | ALPHABET.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[index++] = (buffer >>> bits) & 0xff;
      buffer &= (1 << bits) - 1;
    }
  }
  if (buffer !== 0) throw new TypeError("Invalid base32: non-zero trailing bits");
  return bytes;
}
