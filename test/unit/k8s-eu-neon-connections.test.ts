import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_PIPELINE, relayConnections } from "../../regions/outbox-relay/connections";
import { K8S_ROOT, type K8sObject, renderOverlay } from "../support/k8s-render";

// The EU's database is Neon, whose direct connections are bounded by its compute size
// (max_connections 104 at 0.25 CU, 209 at 0.5 CU, 419 at 1 CU; 7 kept for Neon's superuser:
// neon.com/docs/connect/connection-pooling). The SQL gateway reaches Neon through its pooler
// (PgBouncer, 10,000 clients), but the outbox relays need session state (advisory leases,
// `for update skip locked` batches) and use the direct endpoint: at KEDA's ceiling they must fit
// the compute the EU overlay documents as its minimum, with room for migrations and operators.

const { objects } = renderOverlay("eu");
const README = readFileSync(join(K8S_ROOT, "README.md"), "utf8");

function one(kind: string, name: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0] as K8sObject;
}

/** Neon's max_connections by compute size (CU), from the page above. */
const NEON_MAX_CONNECTIONS: Record<string, number> = { "0.25": 104, "0.5": 209, "1": 419, "2": 839 };
const NEON_RESERVED = 7;
/** Migrations (one at a time), `npm run ops` and a psql session of an operator. */
const HEADROOM = 5;

describe("EU: the outbox relays within Neon's direct connections", () => {
  const scaling = one("ScaledObject", "outbox-relay").spec as unknown as { maxReplicaCount: number };
  const deployment = one("Deployment", "outbox-relay").spec as unknown as {
    strategy: { rollingUpdate: { maxSurge: number } };
  };
  const atCeiling =
    (scaling.maxReplicaCount + deployment.strategy.rollingUpdate.maxSurge) *
    relayConnections(DEFAULT_PIPELINE);
  const documented = /Neon compute of at least \*\*([0-9.]+) CU\*\*/.exec(README)?.[1];

  it("states the minimum Neon compute the EU needs in regions/k8s/README.md", () => {
    expect(documented).toBeDefined();
    expect(NEON_MAX_CONNECTIONS[documented ?? ""]).toBeDefined();
    expect(README).toContain(`${atCeiling} direct connections`);
  });

  it("fits the relays at KEDA's ceiling, plus headroom, in that compute's connections", () => {
    const available = (NEON_MAX_CONNECTIONS[documented ?? ""] ?? 0) - NEON_RESERVED;
    expect(atCeiling).toBeGreaterThan(0);
    expect(atCeiling + HEADROOM).toBeLessThanOrEqual(available);
  });

  it("would not fit the smallest compute: the minimum is a real requirement, not a default", () => {
    expect(atCeiling + HEADROOM).toBeGreaterThan((NEON_MAX_CONNECTIONS["0.25"] ?? 0) - NEON_RESERVED);
  });
});
