/**
 * Published test vectors, shared by the Node unit tests and the workerd test so both runtimes are
 * held to the same answers.
 */

/** RFC 4226 Appendix D and RFC 6238 Appendix B (SHA1 rows) both use this ASCII secret. */
export const RFC_SECRET = Uint8Array.from("12345678901234567890", (char) => char.charCodeAt(0));
export const RFC_SECRET_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/** RFC 4226 Appendix D: counter → the 31-bit truncated value and the 6-digit HOTP. */
export const RFC4226_VECTORS: ReadonlyArray<{ counter: number; truncated: number; hotp: string }> = [
  { counter: 0, truncated: 1284755224, hotp: "755224" },
  { counter: 1, truncated: 1094287082, hotp: "287082" },
  { counter: 2, truncated: 137359152, hotp: "359152" },
  { counter: 3, truncated: 1726969429, hotp: "969429" },
  { counter: 4, truncated: 1640338314, hotp: "338314" },
  { counter: 5, truncated: 868254676, hotp: "254676" },
  { counter: 6, truncated: 1918287922, hotp: "287922" },
  { counter: 7, truncated: 82162583, hotp: "162583" },
  { counter: 8, truncated: 673399871, hotp: "399871" },
  { counter: 9, truncated: 645520489, hotp: "520489" },
];

/** RFC 6238 Appendix B, SHA1 rows: Unix time (s) → step (T, hex in the RFC) → 8-digit TOTP. */
export const RFC6238_SHA1_VECTORS: ReadonlyArray<{ time: number; step: number; totp8: string }> = [
  { time: 59, step: 0x1, totp8: "94287082" },
  { time: 1111111109, step: 0x23523ec, totp8: "07081804" },
  { time: 1111111111, step: 0x23523ed, totp8: "14050471" },
  { time: 1234567890, step: 0x273ef07, totp8: "89005924" },
  { time: 2000000000, step: 0x3f940aa, totp8: "69279037" },
  { time: 20000000000, step: 0x27bc86aa, totp8: "65353130" },
];

/** RFC 4648 §10 base32 vectors (padded, as the RFC prints them). */
export const RFC4648_BASE32_VECTORS: ReadonlyArray<[plain: string, encoded: string]> = [
  ["", ""],
  ["f", "MY======"],
  ["fo", "MZXQ===="],
  ["foo", "MZXW6==="],
  ["foob", "MZXW6YQ="],
  ["fooba", "MZXW6YTB"],
  ["foobar", "MZXW6YTBOI======"],
];
