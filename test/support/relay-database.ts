import { migrateDatabase } from "../../db/tools/migrate";
import { startSqlGateway } from "../../regions/sql-gateway/server";
import { ownerUrl, queryAsOwner, recreateDatabase, upstreamUrl } from "./postgres";
import { until } from "./until";

/** A fresh database with every migration, as a region has it (through the SQL gateway, like db:migrate). */
export async function migratedDatabase(name: string): Promise<void> {
  await recreateDatabase(name);
  const gateway = await startSqlGateway({ port: 0, backend: { kind: "postgres", upstream: upstreamUrl() } });
  try {
    await migrateDatabase({ url: ownerUrl(name), httpEndpoint: `${gateway.url}/sql` });
  } finally {
    await gateway.close();
  }
}

/** The relay's own role (migration 0024) on the machine's Postgres, through `port` (a proxy, or Postgres itself). */
export const relayUrl = (database: string, port: number) =>
  `postgres://nexus_relay@127.0.0.1:${port}/${database}`;

/** Outbox rows of `database` the relay has not marked yet. */
export async function unrelayedCount(database: string): Promise<number> {
  const [row] = await queryAsOwner<{ n: string }>(
    database,
    "select count(*) as n from outbox_events where relayed_at is null",
  );
  return Number(row?.n);
}

/** Waits for a condition (polled every 100 ms). */
export const waitFor = (what: string, timeoutMs: number, condition: () => boolean | Promise<boolean>) =>
  until(what, timeoutMs, async () => ((await condition()) ? true : undefined), 100);
