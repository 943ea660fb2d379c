import { describe, expect, it } from "vitest";
import {
  currencyExponent,
  fromMinorUnits,
  isCurrency,
  toMinorUnits,
} from "../../../workers/api/finance/money";

describe("money at the boundaries", () => {
  it("converts decimal strings to minor units exactly, by the currency's exponent", () => {
    expect(toMinorUnits("1250.00", "NGN")).toBe(125000n);
    expect(toMinorUnits("1250", "EUR")).toBe(125000n);
    expect(toMinorUnits("0.1", "EUR")).toBe(10n);
    expect(toMinorUnits("500", "JPY")).toBe(500n);
    expect(toMinorUnits("1.234", "BHD")).toBe(1234n);
    // Beyond Number's exact range, still exact.
    expect(toMinorUnits("92233720368547758.07", "EUR")).toBe(9223372036854775807n);
  });

  it("refuses what is not a plain amount in that currency", () => {
    for (const bad of ["-1", "1e3", "10.001", "01.5", ".5", "1.", " 1", "1,5", "NaN", ""]) {
      expect(toMinorUnits(bad, "EUR"), bad).toBeNull();
    }
    expect(toMinorUnits("1.5", "JPY")).toBeNull();
  });

  it("formats minor units back to the API's decimal strings", () => {
    expect(fromMinorUnits(125000n, "NGN")).toBe("1250.00");
    expect(fromMinorUnits(5n, "EUR")).toBe("0.05");
    expect(fromMinorUnits(0n, "EUR")).toBe("0.00");
    expect(fromMinorUnits(500n, "JPY")).toBe("500");
    expect(fromMinorUnits(1234n, "BHD")).toBe("1.234");
  });

  it("knows ISO 4217 codes and their exponents", () => {
    expect(isCurrency("NGN")).toBe(true);
    expect(isCurrency("EUR")).toBe(true);
    expect(isCurrency("XYZ")).toBe(false);
    expect(isCurrency("eur")).toBe(false);
    expect(currencyExponent("NGN")).toBe(2);
    expect(currencyExponent("XOF")).toBe(0);
  });
});
