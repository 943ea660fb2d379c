/**
 * The PHC string format's "B64": standard base64 alphabet, no padding. Decoding is strict and
 * canonical (one spelling per value), so a stored hash cannot be altered without it showing.
 */

const B64 = /^[A-Za-z0-9+/]*$/;

export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/=+$/, "");
}

/** Standard base64 with `=` padding (RFC 4648 §4), as Standard Webhooks writes secrets and signatures. */
export function encodeBase64Padded(bytes: Uint8Array): string {
  const text = encodeBase64(bytes);
  return text + "=".repeat((4 - (text.length % 4)) % 4);
}

/** The decoded bytes, or null when `text` is not canonical unpadded base64. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!B64.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text + "=".repeat((4 - (text.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  // atob ignores non-zero bits in the last character; re-encoding catches them.
  return encodeBase64(bytes) === text ? bytes : null;
}
