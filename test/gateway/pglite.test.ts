import { Client, neon, Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SqlGateway, startSqlGateway } from "../../regions/sql-gateway/server";
import { connectionString, postSql, rejectionOf, uniqueName, useGateway } from "./support";

// The same protocols in front of an in-memory PGlite: one Postgres session shared by HTTP requests
// and WebSocket clients, so on top of the protocol this checks serialisation and that no role,
// setting or transaction leaks from one user of the session to the next.

const appRole = uniqueName("gw_test_role");
const asSuperuser = connectionString("postgres", "postgres");
const asApp = connectionString(appRole, "postgres");
let gateway: SqlGateway;
/** Short timeouts, for the idle-in-transaction test. */
let strict: SqlGateway;
const sql = neon(asSuperuser);
const appSql = neon(asApp);

beforeAll(async () => {
  [gateway, strict] = await Promise.all([
    startSqlGateway({ backend: { kind: "pglite" } }),
    startSqlGateway({ backend: { kind: "pglite" }, statementTimeoutMs: 500 }),
  ]);
  useGateway(gateway);
  await sql.transaction([
    sql`create table items (id int primary key, name text not null)`,
    sql`create table notes (tenant_id text not null, body text not null)`,
    sql`alter table notes enable row level security`,
    sql`create policy tenant_isolation on notes
          using (tenant_id = current_setting('app.tenant_id', true))
          with check (tenant_id = current_setting('app.tenant_id', true))`,
    sql`insert into notes values ('tenant-a', 'a1'), ('tenant-a', 'a2'), ('tenant-b', 'b1')`,
    sql.query(`create role ${appRole}`),
    sql.query(`grant select, insert on notes to ${appRole}`),
  ]);
});

afterAll(async () => {
  await Promise.all([gateway?.close(), strict?.close()]);
});

describe("HTTP on PGlite", () => {
  it("is healthy", async () => {
    const response = await fetch(`${gateway.url}/health`);
    expect(await response.json()).toEqual({ status: "ok", backend: "pglite" });
  });

  it("runs a query with parameters and round-trips types as text", async () => {
    const at = new Date("2024-05-06T07:08:09.123Z");
    const [row] = await sql.query(
      `select $1::int4 as i4, $2::int8 as i8, $3::numeric(12,2) as amount, $4::bool as flag, $5::uuid as ref,
        $6::jsonb as doc, $7::timestamptz as at, $8::text[] as tags, $9::text as nothing, $10::text as label`,
      [
        7,
        "9007199254740993",
        "10.5",
        false,
        "6f1c8d3e-0b7a-4a8e-9c51-2d7f0e1a9b34",
        { a: [1] },
        at,
        ["x", "y z"],
        null,
        "it's",
      ],
    );
    expect(row).toEqual({
      i4: 7,
      i8: "9007199254740993",
      amount: "10.50",
      flag: false,
      ref: "6f1c8d3e-0b7a-4a8e-9c51-2d7f0e1a9b34",
      doc: { a: [1] },
      at,
      tags: ["x", "y z"],
      nothing: null,
      label: "it's",
    });
  });

  it("answers in array mode or object mode", async () => {
    expect(await sql.query("select 1 as a, 'b' as b", [], { arrayMode: true })).toEqual([[1, "b"]]);
    const objects = await postSql(
      gateway,
      { query: "select 1 as a", params: [] },
      { "Neon-Connection-String": asSuperuser, "Neon-Array-Mode": "false" },
    );
    expect(objects.body).toMatchObject({
      rows: [{ a: "1" }],
      rowAsArray: false,
      command: "SELECT",
      rowCount: 1,
    });
  });

  it("runs a batch with isolation level and read-only, refusing writes", async () => {
    const [[isolation], [readOnly]] = (await sql.transaction(
      [sql`show transaction_isolation`, sql`show transaction_read_only`],
      { isolationLevel: "RepeatableRead", readOnly: true },
    )) as [[Record<string, string>], [Record<string, string>]];
    expect(isolation).toEqual({ transaction_isolation: "repeatable read" });
    expect(readOnly).toEqual({ transaction_read_only: "on" });
    const error = await rejectionOf(
      sql.transaction([sql`insert into items values (1, 'x')`], { readOnly: true }),
    );
    expect(error.code).toBe("25006");
  });

  it("rolls the whole batch back on an error in the second statement", async () => {
    const error = await rejectionOf(
      sql.transaction([
        sql`insert into items values (10, 'ten')`,
        sql`insert into items values (10, 'again')`,
      ]),
    );
    expect(error.code).toBe("23505");
    expect(await sql`select count(*)::int as n from items where id = 10`).toEqual([{ n: 0 }]);
  });

  it("carries Postgres error codes", async () => {
    expect((await rejectionOf(sql`select * from missing_table`)).code).toBe("42P01");
    expect((await rejectionOf(sql`select ${"abc"}::int`)).code).toBe("22P02");
  });

  it("serialises concurrent requests on the single connection", async () => {
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => sql`select ${i}::int as i, pg_backend_pid() as pid`),
    );
    expect(results.map(([row]) => row?.i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});

describe("an application role on PGlite", () => {
  it("runs HTTP statements as that role, under row-level security", async () => {
    const [, who, rows] = await appSql.transaction([
      appSql`select set_config('app.tenant_id', ${"tenant-a"}, true)`,
      appSql`select current_user as name`,
      appSql`select body from notes order by body`,
    ]);
    expect(who).toEqual([{ name: appRole }]);
    expect(rows).toEqual([{ body: "a1" }, { body: "a2" }]);
    expect(await appSql`select body from notes`).toEqual([]);
    // The role is per request: the superuser's next request is the superuser again.
    expect(await sql`select current_user as name`).toEqual([{ name: "postgres" }]);
  });

  it("is refused another tenant's row and ungranted tables", async () => {
    const error = await rejectionOf(
      appSql.transaction([
        appSql`select set_config('app.tenant_id', ${"tenant-a"}, true)`,
        appSql`insert into notes values ('tenant-b', 'smuggled')`,
      ]),
    );
    expect(error.code).toBe("42501");
    expect((await rejectionOf(appSql`select * from items`)).code).toBe("42501");
  });

  it("runs a WebSocket client as that role too", async () => {
    const client = new Client(asApp);
    await client.connect();
    try {
      await client.query("BEGIN");
      await client.query("select set_config('app.tenant_id', $1, true)", ["tenant-b"]);
      const { rows } = await client.query("select current_user as who, body from notes");
      await client.query("COMMIT");
      expect(rows).toEqual([{ who: appRole, body: "b1" }]);
    } finally {
      await client.end();
    }
    expect(await sql`select current_user as name`).toEqual([{ name: "postgres" }]);
  });
});

describe("WebSocket on PGlite", () => {
  it("runs an interactive transaction through a Pool", async () => {
    const pool = new Pool({ connectionString: asSuperuser, max: 2 });
    try {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("insert into items values ($1, $2)", [20, "twenty"]);
        const { rows } = await client.query("select name from items where id = $1 for update", [20]);
        expect(rows).toEqual([{ name: "twenty" }]);
        await client.query("update items set name = $1 where id = $2", ["TWENTY", 20]);
        await client.query("COMMIT");
      } finally {
        client.release();
      }
      // Two pooled connections at once share PGlite without stepping on each other.
      const [a, b] = await Promise.all([
        pool.query("select name from items where id = 20"),
        pool.query("select count(*)::int as n from items"),
      ]);
      expect(a.rows).toEqual([{ name: "TWENTY" }]);
      expect(b.rows[0].n).toBeGreaterThanOrEqual(1);
    } finally {
      await pool.end();
    }
  });

  it("makes HTTP requests wait for an open WebSocket transaction", async () => {
    const client = new Client(asSuperuser);
    await client.connect();
    try {
      await client.query("BEGIN");
      await client.query("insert into items values (30, 'thirty')");
      let settled = false;
      const httpRead = sql`select name from items where id = 30`.then((rows) => {
        settled = true;
        return rows;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Had it run inside the WebSocket client's transaction, it would have answered by now.
      expect(settled).toBe(false);
      await client.query("COMMIT");
      expect(await httpRead).toEqual([{ name: "thirty" }]);
    } finally {
      await client.end();
    }
  });

  it("does not leak a WebSocket client's session settings", async () => {
    const client = new Client(asSuperuser);
    await client.connect();
    await client.query("select set_config('app.tenant_id', 'leaked', false)");
    await client.end();
    const [row] = await sql`select current_setting('app.tenant_id', true) as v`;
    expect(row?.v).not.toBe("leaked");
  });

  it("rolls back what a vanished client left open", async () => {
    const client = new Client(asSuperuser);
    client.on("error", () => {});
    await client.connect();
    await client.query("BEGIN");
    await client.query("insert into items values (40, 'abandoned')");
    // Close the socket without COMMIT or Terminate.
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    expect(await sql`select count(*)::int as n from items where id = 40`).toEqual([{ n: 0 }]);
  });

  it("ends a client idle in a transaction so others can proceed", async () => {
    useGateway(strict);
    const strictSql = neon(asSuperuser);
    const client = new Client(asSuperuser);
    const clientError = new Promise<Error>((resolve) => client.on("error", resolve));
    try {
      await client.connect();
      await client.query("BEGIN");
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      expect(await strictSql`select 1 as one`).toEqual([{ one: 1 }]);
      expect(Date.now() - started).toBeLessThan(1_500);
      expect((await clientError).message).toContain("idle in transaction");
    } finally {
      useGateway(gateway);
    }
  });
});
