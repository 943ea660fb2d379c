import { describe, expect, it } from "vitest";
import { timingSafeEqual } from "../../../workers/api/auth/credentials/constant-time";

const b = (...values: number[]) => Uint8Array.from(values);

describe("timingSafeEqual", () => {
  it("is true only for identical bytes", () => {
    expect(timingSafeEqual(b(), b())).toBe(true);
    expect(timingSafeEqual(b(1, 2, 3), b(1, 2, 3))).toBe(true);
    expect(timingSafeEqual(b(0, 2, 3), b(1, 2, 3))).toBe(false);
    expect(timingSafeEqual(b(1, 2, 3), b(1, 2, 4))).toBe(false);
    expect(timingSafeEqual(b(0x80), b(0x00))).toBe(false);
  });

  it("is false for different lengths, including a prefix", () => {
    expect(timingSafeEqual(b(1, 2), b(1, 2, 3))).toBe(false);
    expect(timingSafeEqual(b(1, 2, 3), b())).toBe(false);
  });
});
