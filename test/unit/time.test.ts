import { describe, expect, it } from "vitest";
import { toIso } from "../../workers/api/lib/time";

describe("toIso", () => {
  it("normalises Postgres text, ISO strings and Dates to ISO 8601 UTC", () => {
    expect(toIso("2026-11-22 10:00:00.123+00")).toBe("2026-11-22T10:00:00.123Z");
    expect(toIso("2026-11-22 11:00:00.5+01")).toBe("2026-11-22T10:00:00.500Z");
    expect(toIso("2026-11-22T10:00:00.123+00:00")).toBe("2026-11-22T10:00:00.123Z");
    expect(toIso(new Date(Date.UTC(2026, 10, 22, 10)))).toBe("2026-11-22T10:00:00.000Z");
  });

  it("throws on anything else", () => {
    expect(() => toIso("soon")).toThrow();
    expect(() => toIso(42)).toThrow();
  });
});
