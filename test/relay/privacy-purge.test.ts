import { jetstreamManager } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OutboxRelay, startOutboxRelay } from "../../regions/outbox-relay/relay";
import { streamName } from "../../regions/outbox-relay/streams";
import { TestNatsServer } from "../support/nats-server";
import { OutboxWriter } from "../support/outbox-writer";
import { dropDatabase, ownerUrl, PG_PORT, queryAsOwner } from "../support/postgres";
import { migratedDatabase, relayUrl } from "../support/relay-database";
import { until } from "../support/until";

const DATABASE = `${process.env.NEXUS_TEST_WORKER_DB ?? "nexus_test"}_relay_purge`;
const REGION = "eu";
const STREAM = streamName(REGION);
const ERASED = crypto.randomUUID();
const KEPT = crypto.randomUUID();
const RELAY_USER = { user: "relay", pass: "relay-test-password" };

let nats: TestNatsServer;
let writer: OutboxWriter;
let relay: OutboxRelay | undefined;
let operator: NatsConnection | undefined;

beforeAll(async () => {
  await migratedDatabase(DATABASE);
  nats = await TestNatsServer.start(
    `EVENTS: { jetstream: enabled, users: [ ${JSON.stringify({ user: RELAY_USER.user, password: RELAY_USER.pass })} ] }`,
  );
  writer = await OutboxWriter.connect(ownerUrl(DATABASE));
  relay = await startOutboxRelay({
    stream: { maxBytes: 64 * 1024 ** 2 },
    region: REGION,
    databaseUrl: relayUrl(DATABASE, PG_PORT),
    natsServers: [nats.url],
    natsAuth: RELAY_USER,
    pollMs: 20,
    purgePollMs: 100,
  });
});

afterAll(async () => {
  await relay?.close();
  await operator?.close();
  await writer?.close();
  await nats?.dispose();
  await dropDatabase(DATABASE);
});

async function subjectCounts(): Promise<Record<string, number>> {
  operator ??= await connect({ servers: nats.url, ...RELAY_USER });
  const jsm = await jetstreamManager(operator);
  const info = await jsm.streams.info(STREAM, { subjects_filter: ">" });
  return (info.state.subjects ?? {}) as Record<string, number>;
}

describe("the relay purges an erased tenant's subjects from JetStream", () => {
  it("purges exactly evt.<region>.<tenant>.> of a requested purge, records it, and refuses a wider filter", async () => {
    await writer.commit(ERASED, 20);
    await writer.commit(KEPT, 10);
    await until(
      "events relayed",
      30_000,
      async () => ((relay?.relayedCount() ?? 0) >= 30 ? true : undefined),
      100,
    );
    const before = await subjectCounts();
    expect(before[`evt.${REGION}.${ERASED}.crm.contact.created`]).toBe(20);

    const requestId = crypto.randomUUID();
    await queryAsOwner(
      DATABASE,
      "insert into privacy_stream_purges (tenant_id, request_id, subject_filter) values ($1, $2, $3), ($4, $5, 'evt.>')",
      [ERASED, requestId, `evt.${REGION}.${ERASED}.>`, KEPT, crypto.randomUUID()],
    );
    const done = await until(
      "purge recorded",
      30_000,
      async () =>
        (
          await queryAsOwner<{ purged_messages: string | null }>(
            DATABASE,
            "select purged_messages from privacy_stream_purges where request_id = $1 and purged_at is not null",
            [requestId],
          )
        )[0],
      100,
    );
    expect(Number(done.purged_messages)).toBe(20);
    const after = await subjectCounts();
    expect(after[`evt.${REGION}.${ERASED}.crm.contact.created`]).toBeUndefined();
    expect(after[`evt.${REGION}.${KEPT}.crm.contact.created`]).toBe(10);
    // The wider filter was refused, never run.
    const [refused] = await queryAsOwner<{ purged_at: string | null; error: string | null }>(
      DATABASE,
      "select purged_at, error from privacy_stream_purges where subject_filter = 'evt.>'",
    );
    expect(refused?.purged_at).toBeNull();
    expect(refused?.error).toContain("outside");
  });
});

describe("the relay rewrites an erased person's events in JetStream", () => {
  it("re-publishes the subject with those events as the outbox now holds them, keeps the others, and purges the old copies", async () => {
    const tenant = crypto.randomUUID();
    const ids = await writer.commit(tenant, 6);
    const subject = `evt.${REGION}.${tenant}.crm.contact.created`;
    await until(
      "events relayed",
      30_000,
      async () => ((await subjectCounts())[subject] === 6 ? true : undefined),
      100,
    );
    // The erasure's outbox step: two events redacted, and named for the relay in one row.
    const erased = ids.slice(0, 2);
    await queryAsOwner(
      DATABASE,
      `update outbox_events set payload = jsonb_set(payload, '{data}', jsonb_build_object('id', payload->'data'->'id', 'redacted', true))
       where id = any($1::uuid[])`,
      [erased],
    );
    const requestId = crypto.randomUUID();
    await queryAsOwner(
      DATABASE,
      "insert into privacy_stream_purges (tenant_id, request_id, subject_filter, event_ids) values ($1, $2, $3, $4::uuid[])",
      [tenant, requestId, `evt.${REGION}.${tenant}.>`, erased],
    );
    const done = await until(
      "rewrite recorded",
      30_000,
      async () =>
        (
          await queryAsOwner<{ purged_messages: string | null; error: string | null }>(
            DATABASE,
            "select purged_messages, error from privacy_stream_purges where request_id = $1 and (purged_at is not null or error is not null)",
            [requestId],
          )
        )[0],
      100,
    );
    expect(done.error).toBeNull();
    expect(Number(done.purged_messages)).toBe(6);
    // Six messages on the subject still, each event once: the erased two redacted, the rest as they were.
    expect((await subjectCounts())[subject]).toBe(6);
    const jsm = await jetstreamManager(operator as NatsConnection);
    const consumer = await jsm.jetstream().consumers.get(STREAM, { filter_subjects: subject });
    const bodies = new Map<string, { redacted?: boolean }>();
    const batch = await consumer.fetch({ max_messages: 6, expires: 5000 });
    for await (const m of batch) {
      const event = m.json<{ id?: string; data: { id: string; redacted?: boolean } }>();
      expect(m.headers?.get("Nexus-Rewritten")).toBe(requestId);
      bodies.set(m.headers?.get("Nats-Msg-Id")?.split(".rw.")[0] ?? "", event.data);
    }
    expect([...bodies.keys()].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(Boolean(bodies.get(id)?.redacted), id).toBe(erased.includes(id));
  });

  it("finishes a rewrite that crashed between its copies and its purge: each event once, none lost", async () => {
    const tenant = crypto.randomUUID();
    const ids = await writer.commit(tenant, 4);
    const subject = `evt.${REGION}.${tenant}.crm.contact.created`;
    await until(
      "events relayed",
      30_000,
      async () => ((await subjectCounts())[subject] === 4 ? true : undefined),
      100,
    );
    const erased = ids[0] as string;
    await queryAsOwner(
      DATABASE,
      `update outbox_events set payload = jsonb_set(payload, '{data}', jsonb_build_object('id', payload->'data'->'id', 'redacted', true))
       where id = $1`,
      [erased],
    );
    const requestId = crypto.randomUUID();
    // The first run re-published the erased event's redacted copy, then died.
    const [row] = await queryAsOwner<{ body: string }>(
      DATABASE,
      "select payload::text as body from outbox_events where id = $1",
      [erased],
    );
    const jsm = await jetstreamManager(operator as NatsConnection);
    const h = headers();
    h.set("Nexus-Rewritten", requestId);
    await jsm.jetstream().publish(subject, new TextEncoder().encode(row?.body ?? ""), {
      msgID: `${erased}.rw.${requestId}`,
      headers: h,
    });
    await queryAsOwner(
      DATABASE,
      "insert into privacy_stream_purges (tenant_id, request_id, subject_filter, event_ids) values ($1, $2, $3, $4::uuid[])",
      [tenant, requestId, `evt.${REGION}.${tenant}.>`, [erased]],
    );
    await until(
      "rewrite recorded",
      30_000,
      async () =>
        (
          await queryAsOwner(
            DATABASE,
            "select 1 from privacy_stream_purges where request_id = $1 and purged_at is not null",
            [requestId],
          )
        )[0],
      100,
    );
    const consumer = await jsm.jetstream().consumers.get(STREAM, { filter_subjects: subject });
    const seen: string[] = [];
    const batch = await consumer.fetch({ max_messages: 10, expires: 3000 });
    for await (const m of batch) {
      seen.push(m.headers?.get("Nats-Msg-Id")?.split(".rw.")[0] ?? "");
      if (seen.length === (await subjectCounts())[subject]) break;
    }
    expect(seen.sort()).toEqual([...ids].sort());
  });
});
