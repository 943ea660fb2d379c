import { Client, neon } from "@neondatabase/serverless";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type SqlGateway, startSqlGateway } from "../../regions/sql-gateway/server";
import {
  adminClient,
  connectionString,
  POSTGRES_UPSTREAM,
  postSql,
  rejectionOf,
  TEST_DATABASE,
  uniqueName,
  unusedPort,
  useGateway,
} from "./support";

// Failure modes and the edges of the protocol: an unreachable database, timeouts, malformed
// requests, session state that must not leak between requests sharing a pooled connection.

let gateway: SqlGateway;
/** One pooled connection, so consecutive requests are known to share it. */
let singleConnection: SqlGateway;
let unreachable: SqlGateway;
let admin: pg.Client;
const schema = uniqueName("gw_res");

beforeAll(async () => {
  [gateway, singleConnection, unreachable, admin] = await Promise.all([
    startSqlGateway({
      backend: { kind: "postgres", upstream: POSTGRES_UPSTREAM, poolSize: 2 },
      statementTimeoutMs: 400,
      maxBodyBytes: 4_096,
    }),
    startSqlGateway({ backend: { kind: "postgres", upstream: POSTGRES_UPSTREAM, poolSize: 1 } }),
    unusedPort().then((port) =>
      startSqlGateway({ backend: { kind: "postgres", upstream: `postgres://127.0.0.1:${port}` } }),
    ),
    adminClient(),
  ]);
  await admin.query(`create schema ${schema}; create table ${schema}.log (id int primary key)`);
});

afterAll(async () => {
  await Promise.all([gateway?.close(), singleConnection?.close(), unreachable?.close()]);
  if (admin) {
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  }
});

describe("health", () => {
  it("is ok when the database answers", async () => {
    const response = await fetch(`${gateway.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", backend: "postgres" });
  });

  it("is 503 when the database is unreachable", async () => {
    const started = Date.now();
    const response = await fetch(`${unreachable.url}/health`);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.json()).toMatchObject({
      status: "unavailable",
      backend: "postgres",
      code: "08006",
    });
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});

describe("an unreachable upstream", () => {
  it("answers /sql with a fast 503 {message, code}", async () => {
    const started = Date.now();
    const response = await postSql(unreachable, { query: "select 1", params: [] });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(response.body).toEqual({ message: "database unavailable: connection refused", code: "08006" });
  });

  it("surfaces to neon() as a server error, not a hang", async () => {
    useGateway(unreachable);
    const error = await rejectionOf(neon(connectionString("postgres", TEST_DATABASE))`select 1`);
    expect(error.message).toContain("HTTP status 503");
  });

  it("fails a WebSocket client's connect with a Postgres error", async () => {
    useGateway(unreachable);
    const client = new Client(connectionString("postgres", TEST_DATABASE));
    client.on("error", () => {});
    const started = Date.now();
    const error = await rejectionOf(client.connect());
    expect(error.message).toContain("database unavailable");
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("statement timeout", () => {
  it("cancels a long HTTP statement with 57014", async () => {
    useGateway(gateway);
    const started = Date.now();
    const error = await rejectionOf(neon(connectionString("postgres", TEST_DATABASE))`select pg_sleep(5)`);
    expect(error.code).toBe("57014");
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("applies to WebSocket sessions too", async () => {
    useGateway(gateway);
    const client = new Client(connectionString("postgres", TEST_DATABASE));
    await client.connect();
    try {
      const error = await rejectionOf(client.query("select pg_sleep(5)"));
      expect(error.code).toBe("57014");
      const { rows } = await client.query("show statement_timeout");
      expect(rows[0].statement_timeout).toBe("400ms");
    } finally {
      await client.end();
    }
  });
});

describe("pooled connections start every request clean", () => {
  const send = (query: string) =>
    postSql(singleConnection, { query, params: [] }, { "Neon-Array-Mode": "false" }).then((response) => {
      expect(response.status).toBe(200);
      return (response.body.rows as Record<string, string | null>[])[0];
    });

  it("does not leak a session-level setting into the next request", async () => {
    const first = await send(
      "select pg_backend_pid() as pid, set_config('app.tenant_id', 'leaked', false) as v",
    );
    const second = await send("select pg_backend_pid() as pid, current_setting('app.tenant_id', true) as v");
    expect(second?.pid).toBe(first?.pid);
    expect(second?.v).not.toBe("leaked");
  });

  it("does not leave a transaction opened by a lone BEGIN", async () => {
    await send("begin");
    await send(`insert into ${schema}.log values (1)`);
    // Committed (autocommit), so a separate connection sees it.
    const { rows } = await admin.query(`select count(*)::int as n from ${schema}.log`);
    expect(rows[0].n).toBe(1);
  });
});

describe("request validation", () => {
  it("requires the connection string header", async () => {
    const response = await postSql(gateway, { query: "select 1" }, { "Neon-Connection-String": null });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("08P01");
    expect(response.body.message).toContain("Neon-Connection-String");
  });

  it("rejects a connection string without user or database", async () => {
    const response = await postSql(
      gateway,
      { query: "select 1" },
      { "Neon-Connection-String": "postgres://host" },
    );
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("28000");
  });

  it("insists on raw text output", async () => {
    const response = await postSql(gateway, { query: "select 1" }, { "Neon-Raw-Text-Output": null });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain("Neon-Raw-Text-Output");
  });

  it("rejects an unknown isolation level", async () => {
    const response = await postSql(
      gateway,
      { queries: [{ query: "select 1", params: [] }] },
      { "Neon-Batch-Isolation-Level": "Chaos" },
    );
    expect(response.status).toBe(400);
    expect(response.body.message).toContain("neon-batch-isolation-level");
  });

  it("rejects malformed JSON and malformed bodies", async () => {
    expect((await postSql(gateway, "{not json")).status).toBe(400);
    const noQuery = await postSql(gateway, { params: [] });
    expect(noQuery.status).toBe(400);
    expect(noQuery.body.message).toContain("query");
    const badParam = await postSql(gateway, { query: "select $1", params: [{ nested: true }] });
    expect(badParam.status).toBe(400);
  });

  it("refuses bearer tokens it cannot honour", async () => {
    const response = await postSql(gateway, { query: "select 1" }, { Authorization: "Bearer abc" });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("0A000");
  });

  it("bounds the body size with a JSON 413", async () => {
    const response = await postSql(gateway, { query: `select '${"x".repeat(10_000)}'` });
    expect(response.status).toBe(413);
    expect(response.body.code).toBe("54000");
  });

  it("answers unknown paths and methods with JSON", async () => {
    const missing = await fetch(`${gateway.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toHaveProperty("message");
    const wrongMethod = await fetch(`${gateway.url}/sql`);
    expect(wrongMethod.status).toBe(405);
  });

  it("answers CORS preflight", async () => {
    const response = await fetch(`${gateway.url}/sql`, { method: "OPTIONS" });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-headers")).toContain("Neon-Connection-String");
  });

  it("accepts WebSocket tunnels only on /v1 and /v2", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/somewhere-else`);
    const outcome = await new Promise<string>((resolve) => {
      ws.on("unexpected-response", (_req, res) => resolve(`status ${res.statusCode}`));
      ws.on("open", () => resolve("open"));
      ws.on("error", (error) => resolve(`error ${error.message}`));
    });
    ws.terminate();
    expect(outcome).toBe("status 404");
  });
});
