import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchStack, RunningWorker } from "../../bench/lib/bench-stack";
import type { Cleanup } from "../../bench/lib/cleanup";
import {
  createPrimary,
  createStandby,
  type PgInstance,
  workspace,
} from "../../regions/postgres-ha/pg-instance";
import { startTcpService, type TcpService } from "../support/tcp-service";
import { until } from "../support/until";

/**
 * The failover seen from the edge: the deploy bundle on workerd (bench/lib/bench-stack.ts) and the
 * SQL gateway process, whose Postgres is a primary with a synchronous standby started here behind
 * a stand-in for the `-rw` Service. The primary is killed, the standby promoted and the Service
 * moved: meanwhile the Worker answers 503 with Retry-After within its database deadline, then
 * serves again with neither the Worker nor the gateway restarted, and a create retried under its
 * Idempotency-Key exists once.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
const database = `nexus_crash_failover_${process.pid}`;
const DEADLINE_MS = 1_500;
const CLIENT_BOUND_MS = 15_000;

let space: Awaited<ReturnType<typeof workspace>>;
let primary: PgInstance;
let standby: PgInstance;
let service: TcpService;
let cleanup: Cleanup;
let stack: BenchStack;
let worker: RunningWorker;
/** Restored afterwards: a reused test process must not send later files to this test's Service. */
const previousPgPort = process.env.NEXUS_TEST_PG_PORT;

beforeAll(async () => {
  space = await workspace("nexus-failover-worker");
  primary = await createPrimary({
    dir: space.dir,
    name: "primary",
    settings: { synchronous_standby_names: "*" },
  });
  // See lagos-failover.test.ts: the promoted node of this two-node stand-in commits alone.
  standby = await createStandby({
    dir: space.dir,
    name: "standby",
    primary,
    settings: { synchronous_standby_names: "" },
  });
  service = await startTcpService(primary.port);
  // test/support/postgres.ts reads the address when first imported: the bench stack's database,
  // gateway upstream and owner queries all go through the Service stand-in.
  process.env.NEXUS_TEST_PG_PORT = String(service.port);
  const [{ startBenchStack }, { Cleanup: CleanupClass }, { freePort }] = await Promise.all([
    import("../../bench/lib/bench-stack"),
    import("../../bench/lib/cleanup"),
    import("../../bench/lib/workerd"),
  ]);
  cleanup = new CleanupClass();
  stack = await startBenchStack({ root, database, poolSize: 2, keep: false, tokenTtlSeconds: 600, cleanup });
  worker = await stack.startWorker("failover", await freePort("127.0.0.1"), "off", {
    environment: "test",
    databaseTimeoutMs: DEADLINE_MS,
  });
}, 300_000);

afterAll(async () => {
  // The bench stack drops its database through the Service: point it at whichever node is up.
  if (service && !primary?.running()) service.pointAt(standby.port);
  await cleanup?.runAll();
  await service?.close();
  await primary?.stop("immediate").catch(() => {});
  await standby?.stop("fast").catch(() => {});
  await space?.remove();
  if (previousPgPort === undefined) delete process.env.NEXUS_TEST_PG_PORT;
  else process.env.NEXUS_TEST_PG_PORT = previousPgPort;
}, 120_000);

async function call(path: string, init: { method?: string; json?: unknown; idempotencyKey?: string } = {}) {
  const started = performance.now();
  const response = await fetch(`${worker.url}${path}`, {
    method: init.method ?? "GET",
    headers: {
      Authorization: `Bearer ${stack.credentials.token}`,
      "Content-Type": "application/json",
      ...(init.idempotencyKey ? { "Idempotency-Key": init.idempotencyKey } : {}),
    },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    signal: AbortSignal.timeout(CLIENT_BOUND_MS),
  });
  const body = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get("Retry-After"),
    body,
    ms: Math.round(performance.now() - started),
  };
}

describe("Lagos failover through the Worker", () => {
  it("answers 503 with Retry-After while the primary is gone, then serves again without restarts", async () => {
    const run = randomUUID().slice(0, 8);
    expect((await call("/api/v1/crm/contacts?limit=1")).status).toBe(200);
    expect(
      (
        await call("/api/v1/crm/contacts", {
          method: "POST",
          json: { first_name: `Warm-${run}` },
          idempotencyKey: randomUUID(),
        })
      ).status,
    ).toBe(201);

    await primary.stop("immediate");
    service.pointAt(null);
    const keyed = { first_name: `Keyed-${run}` };
    const key = randomUUID();
    const during = await Promise.all([
      call("/api/v1/crm/contacts?limit=5"),
      call("/api/v1/crm/contacts", { method: "POST", json: keyed, idempotencyKey: key }),
      call("/api/v1/crm/contacts", { method: "POST", json: { first_name: `Plain-${run}` } }),
    ]);
    console.log(JSON.stringify({ failover_during: during.map((d) => [d.status, d.ms]) }));
    for (const answer of during) {
      expect(answer.status, answer.body).toBe(503);
      expect(answer.retryAfter).toBeTruthy();
      expect(JSON.parse(answer.body)).toMatchObject({ errors: [{ code: "SERVICE_UNAVAILABLE" }] });
    }

    await standby.promote();
    service.pointAt(standby.port);
    const promoted = performance.now();
    await until(
      "a list after the promotion",
      30_000,
      async () => ((await call("/api/v1/crm/contacts?limit=5")).status === 200 ? true : undefined),
      250,
    );
    console.log(
      JSON.stringify({ failover_recovered_after_promotion_ms: Math.round(performance.now() - promoted) }),
    );
    const retried = await call("/api/v1/crm/contacts", { method: "POST", json: keyed, idempotencyKey: key });
    expect(retried.status, retried.body).toBe(201);
    const again = await call("/api/v1/crm/contacts", { method: "POST", json: keyed, idempotencyKey: key });
    expect(again.status).toBe(201);
    const [count] = await standby.query<{ n: string }>(
      "select count(*) as n from contacts where first_name = $1",
      [keyed.first_name],
      database,
    );
    expect(Number(count?.n)).toBe(1);
  }, 180_000);
});
