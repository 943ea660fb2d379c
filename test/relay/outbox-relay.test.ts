import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OutboxRelay, startOutboxRelay } from "../../regions/outbox-relay/relay";
import { streamName } from "../../regions/outbox-relay/streams";
import { TestNatsServer } from "../support/nats-server";
import { OutboxWriter } from "../support/outbox-writer";
import { dropDatabase, ownerUrl, PG_PORT } from "../support/postgres";
import { migratedDatabase, relayUrl, unrelayedCount, waitFor } from "../support/relay-database";
import { CuttableProxy } from "../support/tcp-proxy";

const DATABASE = `${process.env.NEXUS_TEST_WORKER_DB ?? "nexus_test"}_relay`;
const REGION = "eu";
const STREAM = streamName(REGION);
const TENANTS = [crypto.randomUUID(), crypto.randomUUID()] as const;
const RELAY_USER = { user: "relay", pass: "relay-test-password" };

let nats: TestNatsServer;
let proxy: CuttableProxy;
let writer: OutboxWriter;
let relay: OutboxRelay | undefined;
let operator: NatsConnection;

const unrelayed = () => unrelayedCount(DATABASE);

beforeAll(async () => {
  await migratedDatabase(DATABASE);
  nats = await TestNatsServer.start(
    `EVENTS: { jetstream: enabled, users: [ ${JSON.stringify({ user: RELAY_USER.user, password: RELAY_USER.pass })} ] }`,
  );
  proxy = await CuttableProxy.start(PG_PORT);
  writer = await OutboxWriter.connect(ownerUrl(DATABASE));
  relay = await startOutboxRelay({
    // A small stream: JetStream refuses one larger than ~75 % of the free disk (the 50 GiB default).
    stream: { maxBytes: 256 * 1024 ** 2 },
    region: REGION,
    databaseUrl: relayUrl(DATABASE, proxy.port),
    natsServers: [nats.url],
    natsAuth: RELAY_USER,
    batchSize: 500,
    pollMs: 20,
    ackTimeoutMs: 2_000,
    log: process.env.DEBUG_RELAY ? (line) => console.log(JSON.stringify(line)) : undefined,
  });
});

afterAll(async () => {
  await relay?.close();
  await operator?.close();
  await writer?.close();
  await proxy?.close();
  await nats?.dispose();
  await dropDatabase(DATABASE);
});

/** Writes `commits` transactions of 100 events, alternating tenants; answers the ids. */
async function commitEvents(commits: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < commits; i++) ids.push(...(await writer.commit(TENANTS[i % 2] as string, 100)));
  return ids;
}

describe("the outbox relay", () => {
  it("streams 10,000 committed events to JetStream exactly once each, through a NATS restart and a Postgres cut", async () => {
    const relayer = relay as OutboxRelay;
    const written: string[] = [];
    const tenantOf = new Map<string, string>();
    const track = (ids: string[], from: number) => {
      for (const [i, id] of ids.entries())
        tenantOf.set(id, TENANTS[Math.floor((from + i) / 100) % 2] as string);
    };

    // Steady: the relay keeps up.
    let batch = await commitEvents(30);
    track(batch, written.length);
    written.push(...batch);
    await waitFor("first events relayed", 30_000, () => relayer.relayedCount() >= 1_000);

    // NATS goes away while events keep being committed; it comes back with its store.
    await nats.stop();
    batch = await commitEvents(30);
    track(batch, written.length);
    written.push(...batch);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await unrelayed()).toBeGreaterThan(0);
    await nats.start();
    const beforeCut = relayer.relayedCount();
    await waitFor("relaying after the restart", 30_000, () => relayer.relayedCount() > beforeCut);

    // The relay's Postgres connections drop (an outage or a failover) while writes go on.
    proxy.cut();
    batch = await commitEvents(40);
    track(batch, written.length);
    written.push(...batch);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    proxy.restore();

    expect(written).toHaveLength(10_000);
    await waitFor("every row relayed", 60_000, async () => (await unrelayed()) === 0);

    // A consumer that de-duplicates on event id, reading the whole stream.
    operator = await connect({ servers: nats.url, ...RELAY_USER });
    const jsm = await jetstreamManager(operator);
    const { state } = await jsm.streams.info(STREAM);
    const consumer = await jetstream(operator).consumers.get(STREAM);
    const seen = new Map<string, number>();
    const mismatched: string[] = [];
    const messages = await consumer.consume();
    for await (const m of messages) {
      const event = m.json<{ event_id: string; tenant_id: string }>();
      seen.set(event.event_id, (seen.get(event.event_id) ?? 0) + 1);
      const expectedSubject = `evt.${REGION}.${tenantOf.get(event.event_id)}.crm.contact.created`;
      if (m.headers?.get("Nats-Msg-Id") !== event.event_id || m.subject !== expectedSubject) {
        mismatched.push(`${m.subject} ${m.headers?.get("Nats-Msg-Id")} ${event.event_id}`);
      }
      if (m.seq >= state.last_seq) break;
    }
    await messages.close();

    expect(mismatched).toEqual([]);
    expect(new Set(seen.keys())).toEqual(new Set(written));
    // Re-published batches were absorbed by the stream's duplicate window: one message per event.
    expect(state.messages).toBe(10_000);
    expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
    // The outages were real: the relay saw failures and retried.
    const failures = await relayer.metrics.failures.get();
    if (process.env.DEBUG_RELAY)
      console.log(failures.values, (await relayer.metrics.duplicates.get()).values);
    expect(failures.values.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThan(0);
  });
});
