import { describe, expect, it } from "vitest";
import { buildRegion } from "../../scripts/deploy-dry-run";

describe("wrangler deploy --dry-run (offline)", () => {
  it.each(["eu", "lagos"] as const)(
    "bundles the %s region with its bindings",
    async (region) => {
      const result = await buildRegion(region);
      expect(result.problems, result.output).toEqual([]);
    },
    120_000,
  );
});
