import { randomUUID } from "node:crypto";
import { NeonDbError, type NeonQueryPromise, neon } from "@neondatabase/serverless";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { integer, pgSchema, text } from "drizzle-orm/pg-core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SqlGateway, startSqlGateway } from "../../regions/sql-gateway/server";
import {
  adminClient,
  connectionString,
  POSTGRES_UPSTREAM,
  postSql,
  rejectionOf,
  TEST_DATABASE,
  uniqueName,
  useGateway,
} from "./support";

// SQL over HTTP against the real Postgres, through the real driver (neon() and drizzle neon-http).

const schema = uniqueName("gw_http");
const role = uniqueName("gw_test_role");
const rolePassword = "role-password";
let gateway: SqlGateway;
let admin: pg.Client;
const sql = neon(connectionString("postgres", TEST_DATABASE));

beforeAll(async () => {
  gateway = await startSqlGateway({
    backend: { kind: "postgres", upstream: POSTGRES_UPSTREAM, poolSize: 3 },
  });
  useGateway(gateway);
  admin = await adminClient();
  await admin.query(`
    create schema ${schema};
    create table ${schema}.items (id int primary key, name text not null unique);
    create table ${schema}.typed (
      i4 int4, i8 int8, amount numeric(12,2), flag bool, label text, ref uuid, doc jsonb,
      at timestamptz, day date, tags text[]
    );
    create table ${schema}.notes (tenant_id text not null, body text not null);
    alter table ${schema}.notes enable row level security;
    create policy tenant_isolation on ${schema}.notes
      using (tenant_id = current_setting('app.tenant_id', true))
      with check (tenant_id = current_setting('app.tenant_id', true));
    insert into ${schema}.notes values ('tenant-a', 'a1'), ('tenant-a', 'a2'), ('tenant-b', 'b1');
    create role ${role} login password '${rolePassword}';
    grant usage on schema ${schema} to ${role};
    grant select, insert on ${schema}.notes to ${role};
  `);
});

afterAll(async () => {
  // The gateway's pools hold connections as the role; they must be gone before it is dropped.
  await gateway?.close();
  if (admin) {
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.query(`drop role if exists ${role}`);
    await admin.end();
  }
});

describe("single statements", () => {
  it("runs a query with parameters", async () => {
    const rows = await sql`select ${20}::int + ${22}::int as answer, ${"x"} || 'y' as joined`;
    expect(rows).toEqual([{ answer: 42, joined: "xy" }]);
  });

  it("round-trips Postgres types exactly as node-postgres parses them", async () => {
    const at = new Date("2024-05-06T07:08:09.123Z");
    const ref = randomUUID();
    const doc = { nested: { list: [1, "two", null] }, flag: true };
    const statement = `select $1::int4 as i4, $2::int8 as i8, $3::numeric(12,2) as amount, $4::bool as flag,
      $5::text as label, $6::uuid as ref, $7::jsonb as doc, $8::timestamptz as at, $9::date as day,
      $10::text[] as tags, $11::text as nothing`;
    const params = [
      2_147_483_647,
      "9007199254740993",
      "1234.50",
      false,
      `quotes ' " and unicode ✓`,
      ref,
      doc,
      at,
      "2024-02-29",
      ["a", "b,c", 'd"e', null],
      null,
    ];
    const [row] = await sql.query(statement, params);
    expect(row).toMatchObject({
      i4: 2_147_483_647,
      i8: "9007199254740993",
      amount: "1234.50",
      flag: false,
      label: `quotes ' " and unicode ✓`,
      ref,
      doc,
      at,
      tags: ["a", "b,c", 'd"e', null],
      nothing: null,
    });
    // The gateway is transparent: same values as a direct node-postgres connection gives.
    const direct = await admin.query(statement, params);
    expect(row).toEqual(direct.rows[0]);
  });

  it("stores and reads back every type through a table", async () => {
    const values = {
      i4: -7,
      i8: "-9223372036854775808",
      amount: "0.10",
      flag: true,
      label: "",
      ref: randomUUID(),
      doc: { tenant: "t1", tags: ["x"] },
      at: new Date("1999-12-31T23:59:59.999Z"),
      day: "2000-01-01",
      tags: [] as string[],
    };
    await sql.query(
      `insert into ${schema}.typed values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      Object.values(values),
    );
    const [row] = await sql.query(`select * from ${schema}.typed where ref = $1`, [values.ref]);
    const direct = await admin.query(`select * from ${schema}.typed where ref = $1`, [values.ref]);
    expect(row).toEqual(direct.rows[0]);
    expect(row).toMatchObject({
      i4: -7,
      i8: values.i8,
      amount: "0.10",
      flag: true,
      label: "",
      doc: values.doc,
    });
    expect(row?.tags).toEqual([]);
  });

  it("answers in array mode or object mode as asked", async () => {
    const query = "select 1 as a, 'x' as b, null::int as c";
    expect(await sql.query(query, [], { arrayMode: true })).toEqual([[1, "x", null]]);
    expect(await sql.query(query, [])).toEqual([{ a: 1, b: "x", c: null }]);

    const full = await sql.query(query, [], { fullResults: true });
    expect(full.command).toBe("SELECT");
    expect(full.rowCount).toBe(1);
    expect(full.fields.map((field) => [field.name, field.dataTypeID])).toEqual([
      ["a", 23],
      ["b", 25],
      ["c", 23],
    ]);

    const objects = await postSql(gateway, { query, params: [] }, { "Neon-Array-Mode": "false" });
    expect(objects.body).toMatchObject({ rows: [{ a: "1", b: "x", c: null }], rowAsArray: false });
    const arrays = await postSql(gateway, { query, params: [] }, { "Neon-Array-Mode": "true" });
    expect(arrays.body).toMatchObject({
      rows: [["1", "x", null]],
      rowAsArray: true,
      command: "SELECT",
      rowCount: 1,
    });
  });

  it("reports affected rows for writes", async () => {
    const result = await sql.query(
      `insert into ${schema}.items values (1, 'one'), (2, 'two') on conflict do nothing`,
      [],
      { fullResults: true },
    );
    expect(result).toMatchObject({ command: "INSERT", rowCount: 2 });
  });

  it("refuses several statements in one query, as Neon does", async () => {
    const error = await rejectionOf(sql.query("select 1; select 2"));
    expect(error).toBeInstanceOf(NeonDbError);
    expect(error.code).toBe("42601");
  });

  it("ignores the host of the connection string (never a proxy to elsewhere)", async () => {
    const elsewhere = neon(connectionString("postgres", TEST_DATABASE, { host: "attacker.example:6543" }));
    const [row] = await elsewhere`select inet_server_port() as port`;
    expect(row?.port).toBe(5432);
  });
});

describe("errors", () => {
  it("carries a unique violation's Postgres fields (23505)", async () => {
    await sql.query(`insert into ${schema}.items values (10, 'ten') on conflict do nothing`);
    const error = await rejectionOf(sql.query(`insert into ${schema}.items values (10, 'again')`));
    expect(error).toBeInstanceOf(NeonDbError);
    expect(error).toMatchObject({
      code: "23505",
      severity: "ERROR",
      schema,
      table: "items",
      constraint: "items_pkey",
    });
    expect(error.detail).toContain("already exists");
  });

  it("carries an undefined table's code and position (42P01)", async () => {
    const error = await rejectionOf(sql`select * from no_such_table_anywhere`);
    expect(error).toMatchObject({ code: "42P01", position: "15" });
    expect(error.message).toContain("no_such_table_anywhere");
  });

  it("carries an invalid input's code (22P02)", async () => {
    const error = await rejectionOf(sql`select ${"not a number"}::int`);
    expect(error.code).toBe("22P02");
  });
});

describe("batches (sql.transaction)", () => {
  it("runs with the requested isolation level, read-only and deferrable modes", async () => {
    const [isolation, readOnly, deferrable] = await sql.transaction(
      [sql`show transaction_isolation`, sql`show transaction_read_only`, sql`show transaction_deferrable`],
      { isolationLevel: "Serializable", readOnly: true, deferrable: true },
    );
    expect(isolation).toEqual([{ transaction_isolation: "serializable" }]);
    expect(readOnly).toEqual([{ transaction_read_only: "on" }]);
    expect(deferrable).toEqual([{ transaction_deferrable: "on" }]);

    const [[repeatable]] = (await sql.transaction([sql`show transaction_isolation`], {
      isolationLevel: "RepeatableRead",
    })) as [[{ transaction_isolation: string }]];
    expect(repeatable.transaction_isolation).toBe("repeatable read");
  });

  it("refuses a write in a read-only batch", async () => {
    const error = await rejectionOf(
      sql.transaction([sql`insert into ${sql.unsafe(`${schema}.items`)} values (20, 'twenty')`], {
        readOnly: true,
      }),
    );
    expect(error.code).toBe("25006");
    const [row] = await sql.query(`select count(*)::int as n from ${schema}.items where id = 20`);
    expect(row?.n).toBe(0);
  });

  it("rolls the whole batch back when a later statement fails", async () => {
    const error = await rejectionOf(
      sql.transaction((tx) => [
        tx.query(`insert into ${schema}.items values (30, 'thirty')`),
        tx.query(`insert into ${schema}.items values (30, 'duplicate key')`),
        tx.query(`insert into ${schema}.items values (31, 'never reached')`),
      ]),
    );
    expect(error.code).toBe("23505");
    const direct = await admin.query(`select count(*)::int as n from ${schema}.items where id in (30, 31)`);
    expect(direct.rows[0].n).toBe(0);
  });

  it("returns one result per statement, each in its own mode", async () => {
    const [objects, arrays] = await sql.transaction([
      sql.query("select 1 as one"),
      // Per-statement options are honoured at runtime; the driver's types only model batch-wide ones.
      sql.query("select 2 as two", [], { arrayMode: true }) as unknown as NeonQueryPromise<false, false>,
    ]);
    expect(objects).toEqual([{ one: 1 }]);
    expect(arrays).toEqual([[2]]);
  });
});

describe("row-level security for an application role", () => {
  const asRole = neon(connectionString(role, TEST_DATABASE, { password: rolePassword }));

  it("runs as the role from the connection string", async () => {
    const [row] = await asRole`select current_user as name`;
    expect(row?.name).toBe(role);
  });

  it("sees only the tenant set in the same batch", async () => {
    const notes = `${schema}.notes`;
    const [, tenantA] = await asRole.transaction([
      asRole`select set_config('app.tenant_id', ${"tenant-a"}, true)`,
      asRole.query(`select body from ${notes} order by body`),
    ]);
    expect(tenantA).toEqual([{ body: "a1" }, { body: "a2" }]);

    const [, tenantB] = await asRole.transaction([
      asRole`select set_config('app.tenant_id', ${"tenant-b"}, true)`,
      asRole.query(`select body from ${notes} order by body`),
    ]);
    expect(tenantB).toEqual([{ body: "b1" }]);

    // Without the setting the policy matches nothing.
    expect(await asRole.query(`select body from ${notes}`)).toEqual([]);
  });

  it("refuses a row for another tenant (42501)", async () => {
    const error = await rejectionOf(
      asRole.transaction([
        asRole`select set_config('app.tenant_id', ${"tenant-a"}, true)`,
        asRole.query(`insert into ${schema}.notes values ('tenant-b', 'smuggled')`),
      ]),
    );
    expect(error.code).toBe("42501");
  });

  it("is refused a table it has no grant on", async () => {
    const error = await rejectionOf(asRole.query(`select * from ${schema}.items`));
    expect(error.code).toBe("42501");
  });

  it("authenticates against Postgres with the role's own credentials", async () => {
    const unknown = neon(connectionString(uniqueName("gw_no_such_role"), TEST_DATABASE));
    const error = await rejectionOf(unknown`select 1`);
    expect(error.code).toBe("28000");
  });
});

describe("drizzle-orm/neon-http", () => {
  it("inserts and selects in one batch", async () => {
    const items = pgSchema(schema).table("items", {
      id: integer("id").primaryKey(),
      name: text("name").notNull(),
    });
    const db = drizzle({ client: neon(connectionString("postgres", TEST_DATABASE)) });
    const [inserted, selected] = await db.batch([
      db.insert(items).values({ id: 40, name: "forty" }).returning(),
      db.select().from(items).where(eq(items.id, 40)),
    ]);
    expect(inserted).toEqual([{ id: 40, name: "forty" }]);
    expect(selected).toEqual([{ id: 40, name: "forty" }]);
  });
});

describe("prepared statements on pooled connections", () => {
  it("prepares a parameterised statement once per connection and reuses it", async () => {
    const marker = uniqueName("prep");
    const query = `select $1::text as v, '${marker}' as marker`;
    for (let i = 0; i < 12; i++) expect(await sql.query(query, [String(i)])).toHaveLength(1);
    // Unnamed statements never show in pg_prepared_statements: one row means named, and only once.
    const prepared = (await sql.transaction((tx) => [
      tx.query(query, ["x"]),
      tx.query("select count(*)::int as n from pg_prepared_statements where statement like $1", [
        `%${marker}%`,
      ]),
    ])) as unknown as [unknown, { n: number }[]];
    expect(prepared[1][0]?.n).toBe(1);
  });

  it("recovers when a client deallocates the gateway's statements", async () => {
    const query = "select $1::int + 1 as n";
    expect(await sql.query(query, [1])).toEqual([{ n: 2 }]);
    await sql.transaction((tx) => [tx.query("select 1"), tx.query("deallocate all")]);
    // The connection whose cache went stale fails at most once, then is replaced.
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => sql.query(query, [i])));
    const failures = results.filter((r) => r.status === "rejected");
    expect(failures.length).toBeLessThanOrEqual(1);
    expect(await sql.query(query, [41])).toEqual([{ n: 42 }]);
  });
});
