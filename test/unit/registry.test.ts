import { describe, expect, it } from "vitest";
import { REGIONS, regionForCountry } from "../../regions/registry";

describe("region registry", () => {
  it("homes West African businesses in Lagos and European ones in the EU", () => {
    expect(regionForCountry("NG")).toBe("lagos");
    expect(regionForCountry("gh")).toBe("lagos");
    expect(regionForCountry("DE")).toBe("eu");
    expect(regionForCountry("GB")).toBe("eu");
    expect(regionForCountry("CH")).toBe("eu");
  });

  it("falls back to the EU for other countries", () => {
    expect(regionForCountry("US")).toBe("eu");
  });

  it("keeps EU Durable Objects in the EU jurisdiction and hints Lagos to afr", () => {
    expect(REGIONS.eu.durableObjects).toEqual({ jurisdiction: "eu" });
    expect(REGIONS.lagos.durableObjects).toEqual({ locationHint: "afr" });
    expect(REGIONS.lagos.keyCode).toBe("ng");
  });

  it("assigns every country to at most one region", () => {
    const all = Object.values(REGIONS).flatMap((r) => [...r.countries]);
    expect(new Set(all).size).toBe(all.length);
  });
});
