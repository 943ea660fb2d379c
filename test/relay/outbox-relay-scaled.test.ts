import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARTITIONS } from "../../regions/outbox-relay/partitions";
import {
  type OutboxRelay,
  type OutboxRelayOptions,
  startOutboxRelay,
} from "../../regions/outbox-relay/relay";
import { streamName } from "../../regions/outbox-relay/streams";
import { TestNatsServer } from "../support/nats-server";
import { OutboxWriter } from "../support/outbox-writer";
import { dropDatabase, ownerUrl, PG_PORT, queryAsOwner } from "../support/postgres";
import { migratedDatabase, relayUrl, unrelayedCount, waitFor } from "../support/relay-database";

/**
 * Several relays on one region's outbox, as the autoscaler runs them (2 to 20, KEDA on the
 * backlog): they share the tenant partitions (regions/outbox-relay/partitions.ts), every event
 * reaches the stream once, and each tenant's events keep their commit order (created_at, id)
 * in the stream, through a second relay joining mid-stream and the first one leaving.
 */

const DATABASE = `${process.env.NEXUS_TEST_WORKER_DB ?? "nexus_test"}_relay_scaled`;
const REGION = "eu";
const STREAM = streamName(REGION);
const TENANTS = Array.from({ length: 24 }, () => crypto.randomUUID());
const RELAY_USER = { user: "relay", pass: "relay-test-password" };

let nats: TestNatsServer;
let writer: OutboxWriter;
let operator: NatsConnection | undefined;
const relays: OutboxRelay[] = [];

const unrelayed = () => unrelayedCount(DATABASE);

const relayOptions = (): OutboxRelayOptions => ({
  stream: { maxBytes: 256 * 1024 ** 2 },
  region: REGION,
  databaseUrl: relayUrl(DATABASE, PG_PORT),
  natsServers: [nats.url],
  natsAuth: RELAY_USER,
  // Small batches and a quick rebalance: many claims, and partitions changing hands within the test.
  batchSize: 50,
  pollMs: 10,
  ackTimeoutMs: 2_000,
  rebalanceMs: 300,
});

beforeAll(async () => {
  await migratedDatabase(DATABASE);
  nats = await TestNatsServer.start(
    `EVENTS: { jetstream: enabled, users: [ ${JSON.stringify({ user: RELAY_USER.user, password: RELAY_USER.pass })} ] }`,
  );
  writer = await OutboxWriter.connect(ownerUrl(DATABASE));
});

afterAll(async () => {
  for (const relay of relays) await relay.close().catch(() => {});
  await operator?.close();
  await writer?.close();
  await nats?.dispose();
  await dropDatabase(DATABASE);
});

/** `commits` transactions of 5 events, round-robin over the tenants. */
async function commitEvents(commits: number, from: number): Promise<void> {
  for (let i = 0; i < commits; i++) await writer.commit(TENANTS[(from + i) % TENANTS.length] as string, 5);
}

describe("the outbox relay, scaled out", () => {
  it("shares the tenant partitions between relays, relays every event once, and keeps each tenant's order", async () => {
    // A backlog (the relays were away), then two relays starting together on it: they drain it
    // side by side, which is where claims of one tenant could overtake each other.
    await commitEvents(400, 0);
    const [first, second] = await Promise.all([
      startOutboxRelay(relayOptions()),
      startOutboxRelay(relayOptions()),
    ]);
    relays.push(first, second);
    const writing = commitEvents(200, 400);
    await waitFor("partitions shared", 15_000, () => first.partitions().length === PARTITIONS / 2);
    await waitFor(
      "second relay holds its share",
      15_000,
      () => second.partitions().length === PARTITIONS / 2,
    );
    expect(new Set([...first.partitions(), ...second.partitions()]).size).toBe(PARTITIONS);
    await writing;
    await waitFor(
      "both relays relaying",
      30_000,
      () => second.relayedCount() > 0 && first.relayedCount() > 0,
    );

    // The first leaves (scale-in, or its pod drained): the second takes every partition over.
    await first.close();
    await commitEvents(200, 600);
    await waitFor("second holds all", 15_000, () => second.partitions().length === PARTITIONS);
    await waitFor("every row relayed", 60_000, async () => (await unrelayed()) === 0);
    console.log(
      `scaled relays: first relayed ${first.relayedCount()}, second ${second.relayedCount()} of 4,000 events`,
    );

    // The commit order of each tenant, as the claims order it.
    const rows = await queryAsOwner<{ id: string; tenant_id: string }>(
      DATABASE,
      "select id, tenant_id from outbox_events order by created_at, id",
    );
    expect(rows).toHaveLength(4_000);
    const expected = new Map<string, string[]>();
    for (const row of rows) expected.set(row.tenant_id, [...(expected.get(row.tenant_id) ?? []), row.id]);

    // The stream, in stream order, de-duplicated on event id.
    operator = await connect({ servers: nats.url, ...RELAY_USER });
    const { state } = await (await jetstreamManager(operator)).streams.info(STREAM);
    const consumer = await jetstream(operator).consumers.get(STREAM);
    const streamed = new Map<string, string[]>();
    const seen = new Map<string, number>();
    const messages = await consumer.consume();
    for await (const m of messages) {
      const event = m.json<{ event_id: string; tenant_id: string }>();
      seen.set(event.event_id, (seen.get(event.event_id) ?? 0) + 1);
      if (seen.get(event.event_id) === 1) {
        streamed.set(event.tenant_id, [...(streamed.get(event.tenant_id) ?? []), event.event_id]);
      }
      if (m.seq >= state.last_seq) break;
    }
    await messages.close();

    expect(state.messages).toBe(4_000);
    expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
    for (const tenant of TENANTS) expect(streamed.get(tenant), tenant).toEqual(expected.get(tenant));
    expect(first.relayedCount()).toBeGreaterThan(0);
    expect(second.relayedCount()).toBeGreaterThan(0);
  });
});
