import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARTITIONS, PartitionLeases } from "../../regions/outbox-relay/partitions";
import { dropDatabase, ownerUrl, recreateDatabase } from "../support/postgres";

/**
 * The relays' partition leases count the relays of their own database only. One Postgres server
 * holds several outboxes (`npm run dev -- --postgres` puts both regions' databases on one server,
 * other checkouts and tests theirs): a relay that counted the other databases' relays took a
 * share of its 64 partitions and left the rest to relays that do not exist, and the tenants of
 * those partitions were never relayed.
 */

const BASE = `${process.env.NEXUS_TEST_WORKER_DB ?? "nexus_test"}_leases`;
const DATABASES = [`${BASE}_a`, `${BASE}_b`];
const open: PartitionLeases[] = [];

const leases = (database: string) => {
  const lease = new PartitionLeases({
    databaseUrl: ownerUrl(database),
    applicationName: "partition-leases-test",
    log: () => {},
    drained: async () => {},
    holdClaims: () => {},
  });
  open.push(lease);
  return lease;
};

beforeAll(async () => {
  for (const database of DATABASES) await recreateDatabase(database);
});

afterAll(async () => {
  for (const lease of open) await lease.close();
  for (const database of DATABASES) await dropDatabase(database);
});

describe("the outbox relay's partition leases", () => {
  it("share a database's partitions among that database's relays, not the server's", async () => {
    const [a, b] = DATABASES as [string, string];
    const onA = leases(a);
    const onB = leases(b);
    // Both joined before either takes its share: each sees one member, itself.
    await onA.rebalance();
    await onB.rebalance();
    await onA.rebalance();
    expect(onA.held()).toHaveLength(PARTITIONS);
    expect(onB.held()).toHaveLength(PARTITIONS);

    // A second relay on A's outbox: the two of them split A's partitions, B keeps all of its own.
    const secondOnA = leases(a);
    await secondOnA.rebalance();
    await onA.rebalance();
    await secondOnA.rebalance();
    await onB.rebalance();
    expect(onA.held()).toHaveLength(PARTITIONS / 2);
    expect(secondOnA.held()).toHaveLength(PARTITIONS / 2);
    expect(new Set([...onA.held(), ...secondOnA.held()]).size).toBe(PARTITIONS);
    expect(onB.held()).toHaveLength(PARTITIONS);
  });
});
