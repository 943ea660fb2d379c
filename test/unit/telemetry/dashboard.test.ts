import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { relayMetrics } from "../../../regions/outbox-relay/metrics";
import { gatewayMetrics } from "../../../regions/sql-gateway/metrics";
import { METRIC_NAMES } from "../../../workers/api/observability/metrics";

const dashboard = JSON.parse(
  readFileSync(new URL("../../../docs/grafana/nexus-edge.json", import.meta.url), "utf8"),
) as {
  panels: { type: string; targets?: { expr?: string; query?: string }[] }[];
};
const targets = dashboard.panels.flatMap((p) => p.targets ?? []);

describe("the Grafana dashboard", () => {
  it("plots only Prometheus series the gateway and the relay export", async () => {
    const exported = new Set(
      [
        ...(await gatewayMetrics("eu").registry.getMetricsAsJSON()),
        ...(await relayMetrics("eu").registry.getMetricsAsJSON()),
      ].map((m) => m.name),
    );
    const used = targets
      .flatMap((t) => t.expr?.match(/nexus_[a-z_]+/g) ?? [])
      .map((n) => n.replace(/_(bucket|count|sum)$/, ""));
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });

  it("reads only the Worker's metric names from Analytics Engine", () => {
    const used = targets.flatMap((t) => [...(t.query ?? "").matchAll(/'([a-z_]+)'/g)].map((m) => m[1]));
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((name) => !(METRIC_NAMES as readonly (string | undefined)[]).includes(name))).toEqual(
      [],
    );
  });
});
