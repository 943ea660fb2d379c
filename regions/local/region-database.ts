import { join } from "node:path";
import pg from "pg";
import type { RegionId } from "../registry";
import type { GatewayBackendOptions } from "../sql-gateway/server";

/** Where one region's data lives locally, and how the gateway, migrations and Worker reach it. */
export interface RegionDatabase {
  backend: GatewayBackendOptions;
  /** Superuser connection for migrations and the demo seed (row-level security does not apply). */
  ownerUrl: string;
  /** What the Worker connects as: the app role, to which row-level security applies. */
  appUrl: string;
  /** The outbox relay's role (migration 0024); absent on PGlite, where no relay runs. */
  relayUrl?: string;
  describe: string;
}

/** Embedded PGlite, persisted under the data folder: the default, needs nothing installed. */
export function pgliteDatabase(dataDir: string, region: RegionId): RegionDatabase {
  const dir = join(dataDir, `pglite-${region}`);
  return {
    backend: { kind: "pglite", dataDir: dir },
    ownerUrl: "postgres://postgres@localhost:5432/postgres",
    appUrl: "postgres://nexus_app:nexus_app@localhost:5432/postgres",
    describe: `PGlite in ${dir}`,
  };
}

/**
 * A database per region on a real Postgres server (created if missing). `serverUrl` names the
 * server and a superuser, e.g. postgres://postgres@127.0.0.1:5432.
 */
export async function postgresDatabase(serverUrl: string, database: string): Promise<RegionDatabase> {
  if (!/^[a-z][a-z0-9_]*$/.test(database)) throw new Error(`invalid database name: ${database}`);
  const server = new URL(serverUrl);
  const client = new pg.Client({
    connectionString: `${server.protocol}//${server.username || "postgres"}${server.password ? `:${server.password}` : ""}@${server.host}/postgres`,
  });
  await client.connect();
  try {
    const exists = await client.query("select 1 from pg_database where datname = $1", [database]);
    if (exists.rowCount === 0) await client.query(`create database ${database}`);
  } finally {
    await client.end();
  }
  const owner = new URL(`/${database}`, serverUrl);
  if (!owner.username) owner.username = "postgres";
  return {
    backend: { kind: "postgres", upstream: `postgres://${server.host}` },
    ownerUrl: owner.toString(),
    appUrl: `postgres://nexus_app:nexus_app@${server.host}/${database}`,
    relayUrl: `postgres://nexus_relay@${server.host}/${database}`,
    describe: `Postgres ${server.host}/${database}`,
  };
}
