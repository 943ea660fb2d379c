import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hotp } from "../../../workers/api/auth/credentials/hotp";
import { RFC_SECRET, RFC4226_VECTORS, RFC6238_SHA1_VECTORS } from "./rfc-vectors";

describe("HOTP (RFC 4226)", () => {
  it.each(RFC4226_VECTORS)("Appendix D: counter $counter → $hotp", async ({ counter, hotp: expected }) => {
    expect(await hotp(RFC_SECRET, counter)).toBe(expected);
  });

  it.each(RFC4226_VECTORS)("Appendix D: counter $counter, 8 digits of $truncated", async (vector) => {
    const expected = String(vector.truncated % 1e8).padStart(8, "0");
    expect(await hotp(RFC_SECRET, vector.counter, 8)).toBe(expected);
  });

  it.each(RFC6238_SHA1_VECTORS)(
    "RFC 6238 Appendix B: T=$time s → $totp8 (8 and 6 digits)",
    async (vector) => {
      expect(await hotp(RFC_SECRET, vector.step, 8)).toBe(vector.totp8);
      expect(await hotp(RFC_SECRET, vector.step, 6)).toBe(vector.totp8.slice(2));
    },
  );

  it("writes counters above 2^32 big-endian in full (checked against node:crypto)", async () => {
    for (const counter of [2 ** 32, 2 ** 32 + 5, 2 ** 40 + 123_456, Number.MAX_SAFE_INTEGER]) {
      const message = Buffer.alloc(8);
      message.writeBigUInt64BE(BigInt(counter));
      const mac = createHmac("sha1", RFC_SECRET).update(message).digest();
      const offset = mac[19]! & 0x0f;
      const expected = String((mac.readUInt32BE(offset) & 0x7fffffff) % 1e6).padStart(6, "0");
      expect(await hotp(RFC_SECRET, counter)).toBe(expected);
    }
  });

  it.each([-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])("refuses counter %s", async (counter) => {
    await expect(hotp(RFC_SECRET, counter)).rejects.toThrow(RangeError);
  });

  it.each([5, 9, 6.5])("refuses %s digits", async (digits) => {
    await expect(hotp(RFC_SECRET, 0, digits)).rejects.toThrow(RangeError);
  });
});
