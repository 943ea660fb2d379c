import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../../db/client";
import { tenantRead } from "../../db/compiled-query";
import {
  createPrimary,
  createStandby,
  type PgInstance,
  workspace,
} from "../../regions/postgres-ha/pg-instance";
import { replicaUpstream } from "../../regions/sql-gateway/backends/postgres";
import { type SqlGateway, startSqlGateway } from "../../regions/sql-gateway/server";
import { eventually, type RawResponse } from "./support";

/**
 * Reads marked replica-safe (Nexus-Read-Replica: allowed), against a primary and a real streaming
 * standby started here (never the machine's Postgres): the CloudNativePG `-rw` and `-ro` Services
 * of the Lagos overlay. What must hold: a marked read is answered by the replica when it has
 * replayed what the primary had written when the read arrived, by the primary otherwise (replay
 * paused, replica stopped), never stale; a write marked by mistake fails wherever it lands; an
 * unmarked request never touches the replica.
 */

const CONNECTION = "postgres://postgres:unused@db.gateway.invalid/postgres";

let space: Awaited<ReturnType<typeof workspace>>;
let primary: PgInstance;
let standby: PgInstance;
let gateway: SqlGateway;
let primaryOnly: SqlGateway;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  space = await workspace("nexus-replica-reads");
  // Asynchronous, so replay can fall behind (or be paused) without holding up the writes.
  primary = await createPrimary({ dir: space.dir, name: "primary" });
  standby = await createStandby({ dir: space.dir, name: "standby", primary });
  await primary.query("create table replica_notes (id int primary key, body text not null)");
  expect(
    await eventually(
      async () => (await standby.query("select to_regclass('replica_notes') as t"))[0]?.t !== null,
    ),
  ).toBe(true);
  const backend = (replica?: string) =>
    ({
      kind: "postgres",
      upstream: `postgres://postgres@127.0.0.1:${primary.port}/postgres`,
      poolSize: 4,
      ...(replica ? { replica, replicaMaxWaitMs: 100 } : {}),
    }) as const;
  gateway = await startSqlGateway({
    // Host and port only, as the Lagos overlay gives it: the rest is the primary URL's.
    backend: backend(`postgres://127.0.0.1:${standby.port}`),
    connectTimeoutMs: 1_000,
    log: (line) => logLines.push(line),
  });
  primaryOnly = await startSqlGateway({ backend: backend(), log: () => {} });
}, 240_000);

afterAll(async () => {
  await gateway?.close();
  await primaryOnly?.close();
  await standby?.stop("fast").catch(() => {});
  await primary?.stop("fast").catch(() => {});
  await space?.remove();
}, 60_000);

async function post(
  target: SqlGateway,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const response = await fetch(`${target.url}/sql`, {
    method: "POST",
    headers: {
      "Neon-Connection-String": CONNECTION,
      "Neon-Raw-Text-Output": "true",
      "Neon-Array-Mode": "true",
      ...headers,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const MARKED = { "Nexus-Read-Replica": "allowed" };
const write = (id: number, body: string) =>
  post(gateway, { query: "insert into replica_notes (id, body) values ($1, $2)", params: [id, body] });
const readNote = (id: number, target = gateway) =>
  post(
    target,
    { queries: [{ query: "select body from replica_notes where id = $1", params: [id] }] },
    MARKED,
  );
const rowsOf = (response: RawResponse) =>
  (response.body.results as { rows: string[][] }[] | undefined)?.[0]?.rows;

describe("SQL gateway: reads at a streaming replica", () => {
  it("serves a marked read from the replica, and every read sees the write acknowledged before it", async () => {
    const servedBy: string[] = [];
    for (let id = 1; id <= 200; id++) {
      expect((await write(id, `note ${id}`)).status).toBe(200);
      const read = await readNote(id);
      expect(read.status).toBe(200);
      // Read-your-writes: the row just acknowledged, from whichever server answered.
      expect(rowsOf(read)).toEqual([[`note ${id}`]]);
      servedBy.push(read.headers.get("nexus-served-by") ?? "none");
    }
    const fromReplica = servedBy.filter((by) => by === "replica").length;
    console.log(`replica reads: ${fromReplica} of 200 right after their write served by the replica`);
    // The standby replays within a round trip or two: most reads stay off the primary.
    expect(fromReplica).toBeGreaterThan(100);
    expect(new Set(servedBy)).toEqual(new Set(servedBy.filter((by) => by === "replica" || by === "primary")));
  });

  it("falls back to the primary while the replica has not replayed the latest write, never stale", async () => {
    await standby.query("select pg_wal_replay_pause()");
    try {
      expect((await write(1_001, "written while replay is paused")).status).toBe(200);
      const read = await readNote(1_001);
      expect(read.status).toBe(200);
      expect(rowsOf(read)).toEqual([["written while replay is paused"]]);
      expect(read.headers.get("nexus-served-by")).toBe("primary");
      // The replica itself does not have it: served there, the answer would have been empty.
      expect(await standby.query("select 1 from replica_notes where id = 1001")).toEqual([]);
    } finally {
      await standby.query("select pg_wal_replay_resume()");
    }
    expect(
      await eventually(async () => (await readNote(1_001)).headers.get("nexus-served-by") === "replica"),
    ).toBe(true);
  });

  it("runs a marked request read-only wherever it lands: a write marked by mistake fails", async () => {
    const sneaky = { query: "insert into replica_notes (id, body) values (2001, 'x')", params: [] };
    for (const target of [gateway, primaryOnly]) {
      const single = await post(target, sneaky, MARKED);
      expect(single.status).toBe(400);
      expect(single.body.code).toBe("25006");
      const batch = await post(target, { queries: [sneaky] }, MARKED);
      expect(batch.body.code).toBe("25006");
    }
    expect(await primary.query("select 1 from replica_notes where id = 2001")).toEqual([]);
  });

  it("keeps unmarked requests, serializable reads and a gateway without a replica on the primary", async () => {
    const unmarked = await post(gateway, { queries: [{ query: "select pg_is_in_recovery()", params: [] }] });
    expect(rowsOf(unmarked)).toEqual([["f"]]);
    expect(unmarked.headers.get("nexus-served-by")).toBeNull();
    const marked = await post(
      gateway,
      { queries: [{ query: "select pg_is_in_recovery()", params: [] }] },
      MARKED,
    );
    expect(marked.headers.get("nexus-served-by")).toBe(
      rowsOf(marked)?.[0]?.[0] === "t" ? "replica" : "primary",
    );
    const serializable = await post(
      gateway,
      { queries: [{ query: "select pg_is_in_recovery()", params: [] }] },
      { ...MARKED, "Neon-Batch-Isolation-Level": "Serializable" },
    );
    expect(rowsOf(serializable)).toEqual([["f"]]);
    const withoutReplica = await readNote(1);
    expect(rowsOf(withoutReplica)).toEqual([["note 1"]]);
    const alone = await readNote(1, primaryOnly);
    expect(rowsOf(alone)).toEqual([["note 1"]]);
    expect(alone.headers.get("nexus-served-by")).toBe("primary");
    expect((await post(gateway, { queries: [] }, { "Nexus-Read-Replica": "sometimes" })).body.code).toBe(
      "08P01",
    );
  });

  it("takes the lean batch path of the Worker's database (db/http-reads.ts) to the replica when asked", async () => {
    logLines.length = 0;
    const marked = createDatabase({
      url: CONNECTION,
      httpEndpoint: `${gateway.url}/sql`,
      replicaReads: true,
    });
    const plain = createDatabase({ url: CONNECTION, httpEndpoint: `${gateway.url}/sql` });
    const query = { sql: "select body from replica_notes where id = $1", params: [] as unknown[] };
    const bound = [{ query: { sql: query.sql, params: ["7"] }, values: {} }];
    // tenantRead opens with set_config (allowed in a read-only transaction); the tenant is unused here.
    const tenant = "00000000-0000-4000-8000-000000000000";
    expect(await tenantRead(marked, tenant, bound)).toEqual([[{ body: "note 7" }]]);
    const served = logLines.filter((line) => line.msg === "read served");
    expect(served.length).toBe(1);
    logLines.length = 0;
    expect(await tenantRead(plain, tenant, bound)).toEqual([[{ body: "note 7" }]]);
    expect(logLines.filter((line) => line.msg === "read served")).toEqual([]);
  });

  it("serves marked reads from the primary while the replica is down, and reports it in /health", async () => {
    await standby.stop("fast");
    try {
      const read = await readNote(2);
      expect(read.status).toBe(200);
      expect(rowsOf(read)).toEqual([["note 2"]]);
      expect(read.headers.get("nexus-served-by")).toBe("primary");
      const health = await fetch(`${gateway.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok", backend: "postgres", replica: "unavailable" });
    } finally {
      await standby.start();
    }
    expect(
      await eventually(async () => {
        const health = (await (await fetch(`${gateway.url}/health`)).json()) as { replica?: string };
        return health.replica === "ok";
      }, 10_000),
    ).toBe(true);
  });

  it("takes the replica URL's missing credentials, database and sslmode from the primary URL", () => {
    const primaryUrl = "postgres://health:s3cret@nexus-pg-rw.nexus.svc:5432/postgres?sslmode=require";
    expect(replicaUpstream("postgres://nexus-pg-ro.nexus.svc:5432", primaryUrl)).toBe(
      "postgres://health:s3cret@nexus-pg-ro.nexus.svc:5432/postgres?sslmode=require",
    );
    expect(replicaUpstream("postgres://other:pw@ro.example:6432/db?sslmode=disable", primaryUrl)).toBe(
      "postgres://other:pw@ro.example:6432/db?sslmode=disable",
    );
  });

  it("counts marked reads by server, and times every /sql request for the autoscaler (GET /metrics)", async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(
      value(/^nexus_sql_gateway_marked_reads_total\{[^}]*served_by="replica"[^}]*\} (\d+)/m),
    ).toBeGreaterThan(100);
    expect(
      value(/^nexus_sql_gateway_marked_reads_total\{[^}]*served_by="primary"[^}]*\} (\d+)/m),
    ).toBeGreaterThan(0);
    // The series prometheus-adapter turns into the HPA's latency metric (regions/k8s/monitoring).
    expect(
      value(
        /^nexus_sql_gateway_request_duration_seconds_count\{[^}]*kind="read"[^}]*outcome="ok"[^}]*\} (\d+)/m,
      ),
    ).toBeGreaterThan(200);
    expect(text).toMatch(/^nexus_sql_gateway_request_duration_seconds_bucket\{le="0.05",[^}]*kind="query"/m);
  });
});
