import { createServer, type Server } from "node:net";
import { Client, Pool } from "@neondatabase/serverless";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SqlGateway, startSqlGateway } from "../../regions/sql-gateway/server";
import {
  adminClient,
  connectionString,
  eventually,
  POSTGRES_UPSTREAM,
  rejectionOf,
  TEST_DATABASE,
  uniqueName,
  useGateway,
} from "./support";

// The WebSocket mode (Pool / Client from @neondatabase/serverless) relayed to the real Postgres.

const schema = uniqueName("gw_ws");
const role = uniqueName("gw_test_role");
let gateway: SqlGateway;
let admin: pg.Client;
let decoy: Server;
let decoyConnections = 0;
const superuser = connectionString("postgres", TEST_DATABASE);

beforeAll(async () => {
  gateway = await startSqlGateway({
    backend: { kind: "postgres", upstream: POSTGRES_UPSTREAM, poolSize: 2 },
  });
  useGateway(gateway);
  admin = await adminClient();
  await admin.query(`
    create schema ${schema};
    create table ${schema}.accounts (id int primary key, balance numeric(12,2) not null);
    insert into ${schema}.accounts values (1, 100.00), (2, 50.00);
    create table ${schema}.notes (tenant_id text not null, body text not null);
    alter table ${schema}.notes enable row level security;
    create policy tenant_isolation on ${schema}.notes using (tenant_id = current_setting('app.tenant_id', true));
    insert into ${schema}.notes values ('tenant-a', 'a1'), ('tenant-b', 'b1');
    create role ${role} login;
    grant usage on schema ${schema} to ${role};
    grant select on ${schema}.notes to ${role};
  `);
  // Something listening elsewhere, to prove tunnels never go anywhere but the upstream.
  decoy = createServer((socket) => {
    decoyConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => decoy.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  await gateway?.close();
  await new Promise((resolve) => decoy?.close(resolve));
  if (admin) {
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.query(`drop role if exists ${role}`);
    await admin.end();
  }
});

describe("Pool", () => {
  it("runs an interactive transaction (BEGIN, select, update, COMMIT)", async () => {
    const pool = new Pool({ connectionString: superuser, max: 2 });
    try {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const { rows } = await client.query(
          `select balance from ${schema}.accounts where id = $1 for update`,
          [1],
        );
        expect(rows).toEqual([{ balance: "100.00" }]);
        await client.query(`update ${schema}.accounts set balance = balance - $1 where id = $2`, [
          "25.50",
          1,
        ]);
        await client.query(`update ${schema}.accounts set balance = balance + $1 where id = $2`, [
          "25.50",
          2,
        ]);
        await client.query("COMMIT");
      } finally {
        client.release();
      }
      const { rows } = await pool.query(`select id, balance from ${schema}.accounts order by id`);
      expect(rows).toEqual([
        { id: 1, balance: "74.50" },
        { id: 2, balance: "75.50" },
      ]);
    } finally {
      await pool.end();
    }
  });

  it("rolls back an interactive transaction and reports the Postgres error", async () => {
    const pool = new Pool({ connectionString: superuser });
    try {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query(`update ${schema}.accounts set balance = 0 where id = 1`);
        const error = await rejectionOf(client.query(`insert into ${schema}.accounts values (2, 1)`));
        expect(error.code).toBe("23505");
        await client.query("ROLLBACK");
      } finally {
        client.release();
      }
      const { rows } = await admin.query(`select balance from ${schema}.accounts where id = 1`);
      expect(rows[0].balance).not.toBe("0.00");
    } finally {
      await pool.end();
    }
  });

  it("applies row-level security to the role, with set_config in the transaction", async () => {
    const pool = new Pool({ connectionString: connectionString(role, TEST_DATABASE) });
    try {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("select set_config('app.tenant_id', $1, true)", ["tenant-b"]);
        const { rows } = await client.query(`select current_user as who, body from ${schema}.notes`);
        await client.query("COMMIT");
        expect(rows).toEqual([{ who: role, body: "b1" }]);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });
});

describe("Client", () => {
  it("connects, queries with parameters and parses types", async () => {
    const client = new Client(superuser);
    await client.connect();
    try {
      const { rows } = await client.query(
        "select $1::int8 as big, $2::jsonb as doc, $3::timestamptz as at, $4::text[] as tags",
        ["9007199254740993", { a: 1 }, new Date("2024-01-02T03:04:05Z"), ["x", "y"]],
      );
      expect(rows).toEqual([
        { big: "9007199254740993", doc: { a: 1 }, at: new Date("2024-01-02T03:04:05Z"), tags: ["x", "y"] },
      ]);
    } finally {
      await client.end();
    }
  });

  it("closes the upstream connection when the client terminates", async () => {
    const applicationName = uniqueName("gw_terminate");
    const client = new Client(
      connectionString("postgres", TEST_DATABASE, { query: `application_name=${applicationName}` }),
    );
    const sessions = async () =>
      (
        await admin.query("select count(*)::int as n from pg_stat_activity where application_name = $1", [
          applicationName,
        ])
      ).rows[0].n as number;
    await client.connect();
    expect(await sessions()).toBe(1);
    await client.end();
    expect(await eventually(async () => (await sessions()) === 0)).toBe(true);
  });

  it("ends the client when the database ends the session", async () => {
    const client = new Client(superuser);
    client.on("error", () => {});
    await client.connect();
    const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
    const { rows } = await client.query("select pg_backend_pid() as pid");
    await admin.query("select pg_terminate_backend($1)", [rows[0].pid]);
    await expect(
      Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error("no end")), 3_000))]),
    ).resolves.toBeUndefined();
  });

  it("never relays to the address the client names, only to the upstream", async () => {
    const { port } = decoy.address() as { port: number };
    const client = new Client(connectionString("postgres", TEST_DATABASE, { host: `127.0.0.1:${port}` }));
    await client.connect();
    try {
      const { rows } = await client.query("select inet_server_port() as port");
      expect(rows[0].port).toBe(5432);
      expect(decoyConnections).toBe(0);
    } finally {
      await client.end();
    }
  });

  it("works with the driver's default pipelined password against a trust upstream", async () => {
    const client = new Client(superuser);
    client.neonConfig.pipelineConnect = "password";
    await client.connect();
    try {
      const { rows } = await client.query("select 1 as one");
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });
});
