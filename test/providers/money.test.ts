import { describe, expect, it } from "vitest";
import {
  displayAmount,
  majorNumber,
  majorToMinor,
  minorToMajor,
} from "../../regions/payment-providers/money";

// Major ↔ minor units with the ISO 4217 exponent, never through float arithmetic.

describe("money", () => {
  it("converts major-unit decimals to minor units exactly, by the currency's exponent", () => {
    expect(majorToMinor("2500.5", "NGN")).toBe(250050);
    expect(majorToMinor(1999.99, "ngn")).toBe(199999);
    expect(majorToMinor("100", "EUR")).toBe(10000);
    expect(majorToMinor("100", "JPY")).toBe(100);
    expect(majorToMinor("1.234", "KWD")).toBe(1234);
    expect(majorToMinor("19.90", "EUR")).toBe(1990);
  });

  it("refuses what is not an exact amount in that currency", () => {
    expect(majorToMinor("100.001", "NGN")).toBeUndefined();
    expect(majorToMinor("1.5", "JPY")).toBeUndefined();
    // 0.1 + 0.2 is 0.30000000000000004: not a charge anyone meant.
    expect(majorToMinor(0.1 + 0.2, "EUR")).toBeUndefined();
    expect(majorToMinor("-1", "EUR")).toBeUndefined();
    expect(majorToMinor("1e3", "EUR")).toBeUndefined();
    expect(majorToMinor(1e21, "EUR")).toBeUndefined();
  });

  it("writes minor units back as the shortest exact decimal", () => {
    expect(minorToMajor(250050, "NGN")).toBe("2500.5");
    expect(minorToMajor(5, "EUR")).toBe("0.05");
    expect(minorToMajor(10000, "EUR")).toBe("100");
    expect(minorToMajor(1234, "KWD")).toBe("1.234");
    expect(JSON.stringify({ amount: majorNumber(199999, "NGN") })).toBe('{"amount":1999.99}');
    expect(displayAmount(500000, "NGN")).toBe("NGN 5000.00");
    expect(displayAmount(1500, "jpy")).toBe("JPY 1500");
  });
});
