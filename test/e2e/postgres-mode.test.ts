import { neon, neonConfig } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_TENANTS } from "../../db/seed/demo";
import { type DevStack, startDevStack } from "../support/dev-stack-process";
import { dropDatabase, queryAsOwner } from "../support/postgres";

const PREFIX = "nexus_e2e_pg_";
let stack: DevStack;

/** `npm run dev -- --postgres URL`: the README's alternative to embedded PGlite. */
beforeAll(async () => {
  for (const region of ["eu", "lagos"]) await dropDatabase(`${PREFIX}${region}`);
  stack = await startDevStack({
    portOffset: 4000,
    extraArgs: ["--quiet-workers", "--postgres", "postgres://postgres@127.0.0.1:5432", "--db-prefix", PREFIX],
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
});
