import { describe, expect, it } from "vitest";
import { decodeBase32, encodeBase32 } from "../../../workers/api/auth/credentials/base32";
import { RFC_SECRET, RFC_SECRET_BASE32, RFC4648_BASE32_VECTORS } from "./rfc-vectors";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe("base32 (RFC 4648 §6)", () => {
  it.each(RFC4648_BASE32_VECTORS)("encodes %j as %s without padding", (plain, encoded) => {
    expect(encodeBase32(bytes(plain))).toBe(encoded.replace(/=+$/, ""));
  });

  it.each(RFC4648_BASE32_VECTORS)("decodes %j from %s, padded or not, in either case", (plain, encoded) => {
    expect(text(decodeBase32(encoded))).toBe(plain);
    expect(text(decodeBase32(encoded.replace(/=+$/, "")))).toBe(plain);
    expect(text(decodeBase32(encoded.toLowerCase()))).toBe(plain);
  });

  it("encodes the RFC 4226/6238 test secret as authenticator apps expect", () => {
    expect(encodeBase32(RFC_SECRET)).toBe(RFC_SECRET_BASE32);
    expect(decodeBase32(RFC_SECRET_BASE32)).toEqual(RFC_SECRET);
  });

  it("round-trips random bytes of every length 0..64", () => {
    for (let length = 0; length <= 64; length++) {
      const data = crypto.getRandomValues(new Uint8Array(length));
      const encoded = encodeBase32(data);
      expect(encoded).toMatch(/^[A-Z2-7]*$/);
      expect(encoded).toHaveLength(Math.ceil((length * 8) / 5));
      expect(decodeBase32(encoded)).toEqual(data);
    }
  });

  it("round-trips all-zero and all-one bytes (buffer edge bits)", () => {
    for (const fill of [0x00, 0xff]) {
      const data = new Uint8Array(33).fill(fill);
      expect(decodeBase32(encodeBase32(data))).toEqual(data);
    }
  });

  it.each([
    ["a character outside the alphabet", "MZXW1"],
    ["the digit 0", "MZ0W6"],
    ["the digit 8", "MZXW8"],
    ["a space", "MZXW 6YQ"],
    ["padding in the middle", "MY==MY=="],
    ["an impossible length (1)", "M"],
    ["an impossible length (3)", "MZX"],
    ["an impossible length (6)", "MZXW6Y"],
    ["too little padding", "MY=="],
    ["too much padding", "MZXW6YTB========"],
    ["padding on a full block", "MZXW6YTB="],
    ["non-zero trailing bits", "MZ"],
    ["non-zero trailing bits, padded", "MZXR===="],
  ])("refuses %s (%s)", (_why, input) => {
    expect(() => decodeBase32(input)).toThrow(TypeError);
  });
});
