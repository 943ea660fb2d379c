import { describe, expect, it } from "vitest";
import { RecentMap } from "../../../regions/lib/telemetry/recent-map";

describe("RecentMap (the span buffer's bounded memory of decisions)", () => {
  it("remembers at least the last `capacity` keys, false values included", () => {
    const map = new RecentMap<string, boolean>(100);
    for (let i = 0; i < 1_000; i++) map.set(`t${i}`, i % 2 === 0);
    for (let i = 900; i < 1_000; i++) expect(map.get(`t${i}`)).toBe(i % 2 === 0);
  });

  it("forgets keys older than twice the capacity", () => {
    const map = new RecentMap<string, number>(100);
    for (let i = 0; i < 1_000; i++) map.set(`t${i}`, i);
    expect(map.get("t0")).toBeUndefined();
    expect(map.get("t700")).toBeUndefined();
  });

  it("a key set again takes its newest value", () => {
    const map = new RecentMap<string, number>(3);
    map.set("a", 1);
    map.set("b", 2);
    map.set("c", 3); // "a" … "c" move to the older generation
    map.set("a", 4);
    expect(map.get("a")).toBe(4);
    expect(map.get("b")).toBe(2);
  });
});
