import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPrimary,
  createStandby,
  type PgInstance,
  workspace,
} from "../../regions/postgres-ha/pg-instance";
import { type SqlGateway, startSqlGateway } from "../../regions/sql-gateway/server";
import { startTcpService, type TcpService } from "../support/tcp-service";

/**
 * Failover at the edge, the way the Lagos cluster does it, on this machine: a primary and a
 * synchronous streaming standby started here (never the machine's Postgres), a stand-in for the
 * operator's `-rw` Service in front of them, and the SQL gateway pointed at that Service as in
 * the overlay. The primary is killed (immediate stop: what a lost node leaves), the standby is
 * promoted and the Service moved to it. Throughout, requests through the gateway answer 200 or
 * 503 with Retry-After, never hang; every write that got a 200 is on the new primary, and no
 * two-row change is there by half; afterwards requests succeed again without a gateway restart.
 * The gateway runs in this process: a connection error it failed to handle would be an uncaught
 * exception, which fails the run (it once did: regions/sql-gateway/backends/postgres.ts, guard).
 */

/** No request may take longer than this, whatever happens behind the gateway. */
const CLIENT_BOUND_MS = 15_000;
const CONNECT_TIMEOUT_MS = 2_000;

let space: Awaited<ReturnType<typeof workspace>>;
let primary: PgInstance;
let standby: PgInstance;
let service: TcpService;
let gateway: SqlGateway;

beforeAll(async () => {
  space = await workspace("nexus-failover");
  primary = await createPrimary({
    dir: space.dir,
    name: "primary",
    // Every commit waits for the standby: the overlay's synchronous.number 1, dataDurability required.
    settings: { synchronous_standby_names: "*" },
  });
  // Once promoted it has no standby of its own: with the primary's synchronous_standby_names
  // (copied by pg_basebackup) every commit would wait forever. The operator's cluster has three
  // instances, so after a failover one synchronous standby is left; this two-node stand-in has
  // none, and the promoted node commits alone.
  standby = await createStandby({
    dir: space.dir,
    name: "standby",
    primary,
    settings: { synchronous_standby_names: "" },
  });
  await primary.query(
    "create table failover_writes (seq int not null, part int not null, primary key (seq, part))",
  );
  const [sync] = await primary.query<{ state: string }>(
    "select sync_state as state from pg_stat_replication",
  );
  expect(sync?.state).toBe("sync");
  service = await startTcpService(primary.port);
  gateway = await startSqlGateway({
    backend: {
      kind: "postgres",
      upstream: `postgres://postgres@127.0.0.1:${service.port}/postgres`,
      poolSize: 4,
    },
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    statementTimeoutMs: 5_000,
    log: () => {},
  });
}, 240_000);

afterAll(async () => {
  await gateway?.close();
  await service?.close();
  await primary?.stop("immediate").catch(() => {});
  await standby?.stop("fast").catch(() => {});
  await space?.remove();
}, 60_000);

interface Outcome {
  seq: number;
  status: number;
  retryAfter: string | null;
  code?: string;
  ms: number;
  at: number;
}

/** One change of two rows, in one transaction: the unit that must never land by half. */
async function write(seq: number): Promise<Outcome> {
  const started = performance.now();
  const response = await fetch(`${gateway.url}/sql`, {
    method: "POST",
    headers: {
      "Neon-Connection-String": "postgres://postgres:unused@db.gateway.invalid/postgres",
      "Neon-Raw-Text-Output": "true",
      "Neon-Array-Mode": "true",
      "Content-Type": "application/json",
    },
    body: JSON.stringify({
      queries: [
        { query: "insert into failover_writes (seq, part) values ($1, 1)", params: [seq] },
        { query: "insert into failover_writes (seq, part) values ($1, 2)", params: [seq] },
      ],
    }),
    signal: AbortSignal.timeout(CLIENT_BOUND_MS),
  });
  const body = (await response.json()) as { code?: string };
  return {
    seq,
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    ...(body.code ? { code: body.code } : {}),
    ms: Math.round(performance.now() - started),
    at: performance.now(),
  };
}

async function health(): Promise<number> {
  const response = await fetch(`${gateway.url}/health`, { signal: AbortSignal.timeout(CLIENT_BOUND_MS) });
  await response.arrayBuffer();
  return response.status;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Lagos failover behind the SQL gateway", () => {
  it("answers 503 with Retry-After during the switch, loses no acknowledged write, and serves again by itself", async () => {
    let seq = 0;
    const outcomes: Outcome[] = [];
    // Before: everything works, through a warm pool.
    for (let i = 0; i < 10; i++) outcomes.push(await write(++seq));
    expect(outcomes.every((o) => o.status === 200)).toBe(true);
    expect(await health()).toBe(200);

    // Writers keep going, four at a time, until told to stop (bounded by count as well).
    let stop = false;
    const writers = Array.from({ length: 4 }, async () => {
      for (let n = 0; n < 400 && !stop; n++) {
        outcomes.push(await write(++seq));
        await sleep(20);
      }
    });

    await sleep(300);
    // The node is lost: no shutdown checkpoint, open connections cut.
    const killedAt = performance.now();
    await primary.stop("immediate");
    service.pointAt(null);
    // Failing over takes the operator a moment; requests meanwhile must fail fast, not queue.
    await sleep(1_500);
    const duringSwitch = await health();
    await standby.promote();
    service.pointAt(standby.port);
    const promotedAt = performance.now();

    // After: the gateway's next connections reach the new primary; wait for a run of successes.
    let recoveredAt: number | undefined;
    for (let i = 0; i < 200 && recoveredAt === undefined; i++) {
      const recent = outcomes.filter((o) => o.at > promotedAt);
      if (recent.length >= 8 && recent.slice(-8).every((o) => o.status === 200)) {
        recoveredAt = recent.at(-8)?.at;
      }
      await sleep(50);
    }
    stop = true;
    await Promise.all(writers);
    const after = [];
    for (let i = 0; i < 5; i++) after.push(await write(++seq));

    const failed = outcomes.filter((o) => o.status !== 200);
    const firstFailure = failed[0]?.at ?? killedAt;
    const lastFailure = failed.at(-1)?.at ?? killedAt;
    console.log(
      `failover: ${outcomes.length + after.length} writes, ${failed.length} answered 503 ` +
        `(codes ${[...new Set(failed.map((o) => o.code))].join(", ")}); first 503 to last 503 ` +
        `${Math.round(lastFailure - firstFailure)} ms; promotion to recovery ` +
        `${recoveredAt === undefined ? "never" : Math.round(recoveredAt - promotedAt)} ms; ` +
        `slowest request ${Math.max(...outcomes.map((o) => o.ms))} ms`,
    );

    // During the switch: only 503 + Retry-After, and some there were.
    expect(failed.length).toBeGreaterThan(0);
    for (const outcome of failed) {
      expect(outcome.status, JSON.stringify(outcome)).toBe(503);
      expect(outcome.retryAfter, JSON.stringify(outcome)).toBe("1");
    }
    expect(duringSwitch).toBe(503);
    // Never a hang: a failed request fails within the connect timeout (plus scheduling).
    for (const outcome of failed) expect(outcome.ms).toBeLessThan(CLIENT_BOUND_MS);
    // Recovered on its own: the same gateway, no restart.
    expect(recoveredAt).toBeDefined();
    expect(after.map((o) => o.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await health()).toBe(200);

    // On the new primary: every acknowledged write (RPO 0), and no change by half.
    const rows = await standby.query<{ seq: number; parts: string }>(
      "select seq, count(*)::text as parts from failover_writes group by seq",
    );
    const parts = new Map(rows.map((r) => [r.seq, Number(r.parts)]));
    for (const outcome of [...outcomes, ...after].filter((o) => o.status === 200)) {
      expect(parts.get(outcome.seq), `acknowledged write ${outcome.seq}`).toBe(2);
    }
    expect([...parts.values()].filter((n) => n !== 2)).toEqual([]);
  }, 180_000);
});
