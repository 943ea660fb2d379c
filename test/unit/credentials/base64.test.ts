import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "../../../workers/api/auth/credentials/base64";

describe("PHC B64 (standard alphabet, no padding)", () => {
  it.each([
    ["", ""],
    ["f", "Zg"],
    ["fo", "Zm8"],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg"],
    ["fooba", "Zm9vYmE"],
    ["foobar", "Zm9vYmFy"],
  ])("encodes and decodes %j as %s", (plain, encoded) => {
    const data = new TextEncoder().encode(plain);
    expect(encodeBase64(data)).toBe(encoded);
    expect(decodeBase64(encoded)).toEqual(data);
  });

  it("uses + and / (not the URL-safe alphabet) and round-trips every byte value", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const encoded = encodeBase64(all);
    expect(encoded).toContain("+");
    expect(encoded).toContain("/");
    expect(decodeBase64(encoded)).toEqual(all);
  });

  it.each([
    ["padding", "Zg=="],
    ["URL-safe characters", "-_8"],
    ["an impossible length", "Zm9vY"],
    ["non-zero trailing bits", "Zh"],
    ["whitespace", "Zm9 v"],
  ])("returns null for %s (%s)", (_why, input) => {
    expect(decodeBase64(input)).toBeNull();
  });
});
