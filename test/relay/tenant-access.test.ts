import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, nkeyAuthenticator } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OutboxRelay, startOutboxRelay } from "../../regions/outbox-relay/relay";
import { streamName } from "../../regions/outbox-relay/streams";
import {
  ensureTenantConsumer,
  newTenantCredentials,
  type TenantCredentials,
  tenantUserEntry,
} from "../../regions/outbox-relay/tenant-access";
import { TestNatsServer } from "../support/nats-server";
import { OutboxWriter } from "../support/outbox-writer";
import { dropDatabase, ownerUrl, PG_PORT } from "../support/postgres";
import { migratedDatabase, relayUrl } from "../support/relay-database";

const DATABASE = `${process.env.NEXUS_TEST_WORKER_DB ?? "nexus_test"}_relay_access`;
const REGION = "lagos";
const STREAM = streamName(REGION);
const RELAY_USER = { user: "relay", pass: "relay-test-password" };
const A = newTenantCredentials(REGION, crypto.randomUUID());
const B = newTenantCredentials(REGION, crypto.randomUUID());

let nats: TestNatsServer;
let relay: OutboxRelay | undefined;
let writer: OutboxWriter;
const connections: NatsConnection[] = [];

/** A tenant's service, connected as its README says: its nkey seed and its own inbox prefix. */
async function connectAs(tenant: TenantCredentials): Promise<NatsConnection> {
  const nc = await connect({
    servers: nats.url,
    authenticator: nkeyAuthenticator(new TextEncoder().encode(tenant.nkey_seed)),
    inboxPrefix: tenant.inbox_prefix,
  });
  connections.push(nc);
  return nc;
}

beforeAll(async () => {
  await migratedDatabase(DATABASE);
  const users = [
    JSON.stringify({ user: RELAY_USER.user, password: RELAY_USER.pass }),
    tenantUserEntry(REGION, A.tenant_id, A.nkey_public),
    tenantUserEntry(REGION, B.tenant_id, B.nkey_public),
  ];
  nats = await TestNatsServer.start(`EVENTS: { jetstream: enabled, users: [ ${users.join(", ")} ] }`);
  relay = await startOutboxRelay({
    // A small stream: JetStream refuses one larger than ~75 % of the free disk (the 50 GiB default).
    stream: { maxBytes: 256 * 1024 ** 2 },
    region: REGION,
    databaseUrl: relayUrl(DATABASE, PG_PORT),
    natsServers: [nats.url],
    natsAuth: RELAY_USER,
    pollMs: 20,
  });
  const operator = await connect({ servers: nats.url, ...RELAY_USER });
  connections.push(operator);
  const jsm = await jetstreamManager(operator);
  await ensureTenantConsumer(jsm, REGION, A.tenant_id);
  await ensureTenantConsumer(jsm, REGION, B.tenant_id);
  writer = await OutboxWriter.connect(ownerUrl(DATABASE));
});

afterAll(async () => {
  for (const nc of connections) await nc.close().catch(() => {});
  await relay?.close();
  await writer?.close();
  await nats?.dispose();
  await dropDatabase(DATABASE);
});

describe("a tenant's NATS user", () => {
  it("cannot subscribe to another tenant's subjects, nor to the whole region's", async () => {
    const nc = await connectAs(A);
    for (const subject of [`evt.${REGION}.${B.tenant_id}.>`, `evt.${REGION}.>`, ">", "_INBOX.>"]) {
      const sub = nc.subscribe(subject);
      const closed = await sub.closed;
      expect(closed, subject).toBeInstanceOf(Error);
      expect(String(closed), subject).toMatch(/permissions violation/i);
    }
  });

  it("receives its own events live and from its consumer, and none of the other tenant's", async () => {
    const nc = await connectAs(A);
    const live = nc.subscribe(A.subjects);
    await nc.flush();
    const mine = await writer.commit(A.tenant_id, 3);
    const theirs = await writer.commit(B.tenant_id, 3);

    const liveIds: string[] = [];
    for await (const m of live) {
      liveIds.push(m.json<{ event_id: string }>().event_id);
      if (liveIds.length === mine.length) break;
    }
    expect(liveIds.sort()).toEqual([...mine].sort());

    const consumer = await jetstream(nc).consumers.get(STREAM, A.consumer);
    const pulled: string[] = [];
    const batch = await consumer.fetch({ max_messages: 10, expires: 2_000 });
    for await (const m of batch) {
      expect(m.subject.startsWith(`evt.${REGION}.${A.tenant_id}.`)).toBe(true);
      pulled.push(m.json<{ event_id: string }>().event_id);
      m.ack();
    }
    expect(pulled.sort()).toEqual([...mine].sort());
    expect(pulled.filter((id) => theirs.includes(id))).toEqual([]);
  });

  it("cannot read the other tenant's consumer, publish events, or create consumers", async () => {
    const nc = await connectAs(A);
    const js = jetstream(nc, { timeout: 1_500 });
    await expect(js.consumers.get(STREAM, B.consumer)).rejects.toThrow();
    const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 1_500 });
    await expect(
      jsm.consumers.add(STREAM, { durable_name: "snoop", filter_subject: `evt.${REGION}.>` }),
    ).rejects.toThrow();
    await expect(js.publish(`evt.${REGION}.${A.tenant_id}.crm.contact.created`, "{}")).rejects.toThrow();
  });
});
