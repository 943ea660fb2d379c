import { NeonDbError, neon } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadlineFetchOptions } from "../../db/client";
import { httpBatchReader, type SqlText } from "../../db/http-reads";
import { type SqlGateway, startSqlGateway } from "../../regions/sql-gateway/server";
import { connectionString, POSTGRES_UPSTREAM, TEST_DATABASE, unusedPort, useGateway } from "./support";

// db/http-reads.ts is the hot reads' stand-in for neon()'s transaction([...]): for the same
// statements it must answer exactly what the driver answers, and fail the way the driver fails
// (lib/db-errors.ts reads those failures).

let gateway: SqlGateway;
const url = connectionString("postgres", TEST_DATABASE);

beforeAll(async () => {
  gateway = await startSqlGateway({
    backend: { kind: "postgres", upstream: POSTGRES_UPSTREAM, poolSize: 2 },
  });
  useGateway(gateway);
});

afterAll(async () => {
  await gateway?.close();
});

const reader = (endpoint = `${gateway.url}/sql`, timeoutMs = 5_000) =>
  httpBatchReader({ endpoint, connectionString: url, fetchOptions: deadlineFetchOptions(timeoutMs) });

function viaDriver(statements: SqlText[]) {
  const sql = neon(url);
  return sql.transaction(statements.map((s) => sql.query(s.sql, s.params as unknown[])));
}

async function viaReader(statements: SqlText[], endpoint?: string) {
  const prepared = reader(endpoint).prepare(statements);
  if (!prepared) throw new Error("expected the lean path");
  return prepared();
}

describe("httpBatchReader", () => {
  const statements: SqlText[] = [
    {
      sql: "select set_config('app.tenant_id', $1, true) as t",
      params: ["be5c0000-0000-4000-8000-000000000001"],
    },
    {
      sql: `select $1::int as i4, $2::int8 as i8, 12.5::numeric(12,2) as amount, $3::bool as flag, 'x' as label,
              gen_random_uuid() is not null as has_ref, '{"a":[1,2]}'::jsonb as doc, '{"a":1}'::text as json_text,
              timestamptz '2026-01-02 03:04:05.678+00' as at, date '2026-01-02' as day, array['a','b'] as tags,
              null::text as nothing, current_setting('app.tenant_id') as tenant
            from generate_series(1, $4::int)`,
      params: [7, "9007199254740993", false, 3],
    },
  ];

  it("answers what neon()'s transaction answers, row for row and type for type", async () => {
    const lean = await viaReader(statements);
    expect(lean).toEqual(await viaDriver(statements));
    expect(lean[1]).toHaveLength(3);
    // set_config(…, true) holds for the batch: both statements ran in one transaction.
    expect(lean[1]?.[0]?.tenant).toBe("be5c0000-0000-4000-8000-000000000001");
    expect(lean[1]?.[0]?.at).toBeInstanceOf(Date);
  });

  it("leaves statements with values it does not send as they are to the driver", () => {
    expect(reader().prepare([{ sql: "select $1::jsonb", params: [{ a: 1 }] }])).toBeUndefined();
    expect(reader().prepare([{ sql: "select $1::timestamptz", params: [new Date()] }])).toBeUndefined();
  });

  it("fails a Postgres error as the driver does: a NeonDbError with the Postgres fields", async () => {
    const failing: SqlText[] = [{ sql: "select 1" }, { sql: "select 1 / $1::int", params: [0] }].map((s) => ({
      params: [],
      ...s,
    }));
    const lean = await viaReader(failing).catch((error: unknown) => error);
    const driver = await viaDriver(failing).catch((error: unknown) => error);
    expect(lean).toBeInstanceOf(NeonDbError);
    expect((lean as NeonDbError).code).toBe("22012");
    expect((lean as NeonDbError).message).toBe((driver as NeonDbError).message);
    expect((lean as NeonDbError).code).toBe((driver as NeonDbError).code);
  });

  it("fails an unreachable endpoint as 'Error connecting to database', and a passed deadline with a TimeoutError as its source", async () => {
    const port = await unusedPort();
    const refused = await viaReader(statements, `http://127.0.0.1:${port}/sql`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NeonDbError);
    expect((refused as Error).message).toMatch(/^Error connecting to database/);

    const slow = httpBatchReader({
      endpoint: `${gateway.url}/sql`,
      connectionString: url,
      fetchOptions: deadlineFetchOptions(50),
    }).prepare([{ sql: "select pg_sleep(1)", params: [] }]);
    const timedOut = await slow?.().catch((e: unknown) => e);
    expect((timedOut as Error).message).toMatch(/^Error connecting to database/);
    expect(((timedOut as { sourceError?: Error }).sourceError as Error).name).toBe("TimeoutError");
  });
});
