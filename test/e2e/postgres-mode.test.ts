import { neon, neonConfig } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_TENANTS } from "../../db/seed/demo";
import { readStackInfo } from "../../regions/local/stack-info";
import { streamName } from "../../regions/outbox-relay/streams";
import { type DevStack, startDevStack } from "../support/dev-stack-process";
import { dropDatabase, queryAsOwner } from "../support/postgres";
import { expectNoTrace } from "../support/privacy-erasure-checks";
import { eraseAndScan } from "../support/privacy-erasure-scan";
import { residencyCheck } from "../support/residency-check";

// 1000 above the e2e stack's offset (NEXUS_E2E_PORT_OFFSET, default 3000): checkouts running
// their e2e tests side by side keep their ports and their databases apart.
const PORT_OFFSET = Number(process.env.NEXUS_E2E_PORT_OFFSET ?? 3000) + 1000;
const PREFIX = `nexus_e2e_pg${PORT_OFFSET}_`;
// The machine's NATS with JetStream (CI has one too): the stack's outbox relays stream into it.
const NATS_URL = "nats://127.0.0.1:4222";
let stack: DevStack;

/** `npm run dev -- --postgres URL`: the README's alternative to embedded PGlite. */
beforeAll(async () => {
  for (const region of ["eu", "lagos"]) await dropDatabase(`${PREFIX}${region}`);
  stack = await startDevStack({
    portOffset: PORT_OFFSET,
    extraArgs: [
      "--quiet-workers",
      "--postgres",
      "postgres://postgres@127.0.0.1:5432",
      "--db-prefix",
      PREFIX,
      "--nats",
      NATS_URL,
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
  for (const region of ["eu", "lagos"]) await dropDatabase(`${PREFIX}${region}`);
});

describe("npm run dev on a real Postgres", () => {
  it("creates, migrates and seeds one database per region, and serves both", async () => {
    expect(stack.output.join("\n")).toContain("database: postgres");
    for (const [region, url] of [
      ["eu", stack.eu],
      ["lagos", stack.lagos],
    ] as const) {
      const res = await fetch(`${url}/health`);
      expect(res.status).toBe(200);
      const tenants = await queryAsOwner<{ id: string }>(`${PREFIX}${region}`, "select id from tenants");
      expect(tenants).toEqual([{ id: DEMO_TENANTS[region].tenantId }]);
    }
  });

  it("connects the Workers as the app role, under row-level security", async () => {
    neonConfig.fetchEndpoint = `${stack.gateways.eu}/sql`;
    const asApp = neon(`postgres://nexus_app:nexus_app@localhost/${PREFIX}eu`);
    expect(await asApp`select count(*)::int as n from contacts`).toEqual([{ n: 0 }]);
    const [, rows] = await asApp.transaction([
      asApp`select set_config('app.tenant_id', ${DEMO_TENANTS.eu.tenantId}, true)`,
      asApp`select count(*)::int as n from contacts`,
    ]);
    expect(rows).toEqual([{ n: 3 }]);
  });

  it("keeps the Workers' log lines out of its output with --quiet-workers, as documented", async () => {
    const res = await fetch(`${stack.eu}/health`);
    const requestId = res.headers.get("X-Request-Id") ?? "missing";
    await res.body?.cancel();
    // The request line is written as the response ends; give it the time it takes to be printed.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(stack.output.filter((line) => line.includes(requestId))).toEqual([]);
    expect(stack.output.filter((line) => /^\[(eu|lagos)\] \{/.test(line))).toEqual([]);
  });

  it("passes the residency canary with the outbox relays on: each region's JetStream stream holds its own tenant's marker, never the other's", {
    timeout: 200_000,
  }, async () => {
    expect(stack.output.join("\n")).toContain(`Events:   NATS JetStream at ${NATS_URL}`);
    const { stdout, code } = await residencyCheck(["--data-dir", stack.dataDir, "--nats", NATS_URL], 180_000);
    expect(code, stdout).toBe(0);
    expect(stdout).toContain("residency-check: passed in both directions");
    expect(stdout).not.toContain("✗");
    // One section per direction: a Lagos tenant's writes and scans, then an EU tenant's.
    const [lagosFirst, euSecond] = stdout.split("PASS lagos → eu");
    expect(euSecond, stdout).toContain("PASS eu → lagos");
    for (const [home, away, section] of [
      ["lagos", "eu", lagosFirst],
      ["eu", "lagos", euSecond],
    ] as const) {
      const scanned = (region: string) =>
        `✓ ${region} JetStream \\(${streamName(region)}, messages since the canary began\\): `;
      // The home stream holds the tenant's events, under the home region's subjects only…
      const held = section?.match(
        new RegExp(`${scanned(home)}marker found: (.*) \\(([1-9]\\d*) messages\\)`),
      );
      expect(held, section).not.toBeNull();
      for (const hit of (held?.[1] ?? "").split(", ")) expect(hit).toMatch(new RegExp(`^evt\\.${home}\\.`));
      // …and the other region's stream, read since the canary began, does not.
      expect(section).toMatch(new RegExp(`${scanned(away)}marker not found \\(\\d+ messages\\)`));
      expect(section).toMatch(new RegExp(`✓ ${away} Postgres files on disk: marker not found \\(not local`));
    }
  });

  it("erases a contact from every Lagos store, its JetStream copies rewritten by the relay (as test/e2e/privacy-erasure-scan.test.ts)", {
    timeout: 200_000,
  }, async () => {
    const info = readStackInfo(stack.dataDir);
    if (!info) throw new Error("no stack.json");
    const result = await eraseAndScan({ stack: info, dataDir: stack.dataDir, natsUrl: NATS_URL }, "lagos");
    expectNoTrace(result, { relay: true, pglite: false });
  });
});
