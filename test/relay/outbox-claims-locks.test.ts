import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../../db/client";
import { claimOutboxRows } from "../../db/outbox-claims";
import { startSqlGateway } from "../../regions/sql-gateway/server";
import { OutboxWriter } from "../support/outbox-writer";
import { appUrl, dropDatabase, ownerUrl, upstreamUrl } from "../support/postgres";
import { migratedDatabase } from "../support/relay-database";

/**
 * The outbox relay locks the rows it streams to JetStream until they are acknowledged and marked
 * relayed, right after their commit, while the request that wrote them publishes them to the
 * sinks. That one publish waits for the relay's lock (`waitForLocks`) instead of skipping the row,
 * which then stayed unpublished (no webhook, no realtime, no embedding) until the cron sweep; the
 * sweep, which comes back every minute, still skips it.
 */

const DATABASE = `${process.env.NEXUS_TEST_WORKER_DB ?? "nexus_test"}_claim_locks`;
let gateway: Awaited<ReturnType<typeof startSqlGateway>>;
let db: Database;
let writer: OutboxWriter;
let relay: pg.Client;

beforeAll(async () => {
  await migratedDatabase(DATABASE);
  gateway = await startSqlGateway({ port: 0, backend: { kind: "postgres", upstream: upstreamUrl() } });
  db = createDatabase({ url: appUrl(DATABASE), httpEndpoint: `${gateway.url}/sql` });
  writer = await OutboxWriter.connect(ownerUrl(DATABASE));
  relay = new pg.Client({ connectionString: ownerUrl(DATABASE) });
  await relay.connect();
});

afterAll(async () => {
  await relay?.end();
  await writer?.close();
  await gateway?.close();
  await dropDatabase(DATABASE);
});

/** The relay's batch: the row locked in an open transaction (released by the returned function). */
async function lockedByRelay(id: string): Promise<() => Promise<void>> {
  await relay.query("begin");
  await relay.query("select id from outbox_events where id = $1 for no key update", [id]);
  return async () => {
    await relay.query("commit");
  };
}

const claim = (tenantId: string, waitForLocks: boolean) =>
  claimOutboxRows(db, tenantId, {
    claimId: crypto.randomUUID(),
    limit: 10,
    minAgeSeconds: 0,
    leaseSeconds: 60,
    waitForLocks,
  });

describe("claiming outbox rows the relay holds", () => {
  it("the publish after a request's write waits for the relay's lock and claims the row", async () => {
    const tenantId = crypto.randomUUID();
    const [id] = await writer.commit(tenantId, 1);
    const release = await lockedByRelay(id as string);
    let claimed: { id: string }[] | undefined;
    const claiming = claim(tenantId, true).then((rows) => {
      claimed = rows;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(claimed).toBeUndefined();
    await release();
    await claiming;
    expect(claimed?.map((r) => r.id)).toEqual([id]);
  });

  it("the sweep's claim skips it", async () => {
    const tenantId = crypto.randomUUID();
    const [id] = await writer.commit(tenantId, 1);
    const release = await lockedByRelay(id as string);
    try {
      expect(await claim(tenantId, false)).toEqual([]);
    } finally {
      await release();
    }
    expect((await claim(tenantId, false)).map((r) => r.id)).toEqual([id]);
  });
});
