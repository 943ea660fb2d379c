import { connect } from "@nats-io/transport-node";
import { startOutboxRelay } from "../../regions/outbox-relay/relay";
import { TestNatsServer } from "../../test/support/nats-server";
import { OutboxWriter } from "../../test/support/outbox-writer";
import { dropDatabase, ownerUrl, PG_PORT } from "../../test/support/postgres";
import { migratedDatabase, relayUrl } from "../../test/support/relay-database";
import type { Cleanup } from "./cleanup";
import { percentile } from "./percentile";
import { progress } from "./progress";
import type { TargetCheck } from "./report";

export interface EventsFigures {
  /** Rows committed before the relay started, then drained. */
  backlogEvents: number;
  backlogSeconds: number;
  eventsPerSecond: number;
  /** The steady phase: rows written at this rate, lag of each as a subscriber saw it. */
  steadyRate: number;
  steadySeconds: number;
  steadyEvents: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  batchSize: number;
  pipeline: number;
}

export interface EventsOptions {
  database: string;
  cleanup: Cleanup;
  backlog: number;
  rate: number;
  seconds: number;
}

const TENANTS = Array.from({ length: 10 }, () => crypto.randomUUID());
const BATCH_SIZE = 1000;
const PIPELINE = 3;

/**
 * `npm run bench -- --only events`: the outbox relay on this machine, between the real Postgres
 * and a nats-server of the bench's own (JetStream, file storage, as the clusters run it but one
 * server). (a) Throughput: `backlog` committed rows drained to JetStream acknowledgements. (b)
 * Lag: rows committed at `rate`/s in transactions of 10 for `seconds`; each event's lag is from
 * its outbox timestamp (written in its transaction) to a core subscriber receiving it, which is
 * just after JetStream stored it.
 */
export async function measureEvents(o: EventsOptions): Promise<EventsFigures> {
  progress(`events: database ${o.database}, nats-server of the bench's own`);
  await migratedDatabase(o.database);
  o.cleanup.add(`database ${o.database}`, () => dropDatabase(o.database));
  const nats = await TestNatsServer.start();
  o.cleanup.add("nats-server", () => nats.dispose());
  const writer = await OutboxWriter.connect(ownerUrl(o.database));
  o.cleanup.add("outbox writer", () => writer.close());

  progress(`events: committing ${o.backlog} outbox rows`);
  for (let written = 0; written < o.backlog; written += 1000) {
    await writer.commit(
      TENANTS[(written / 1000) % TENANTS.length] as string,
      Math.min(1000, o.backlog - written),
    );
  }

  progress("events: relay draining the backlog");
  const relay = await startOutboxRelay({
    // A small stream: JetStream refuses one larger than ~75 % of the free disk (the 50 GiB default).
    stream: { maxBytes: 256 * 1024 ** 2 },
    region: "eu",
    databaseUrl: relayUrl(o.database, PG_PORT),
    natsServers: [nats.url],
    batchSize: BATCH_SIZE,
    pipeline: PIPELINE,
    pollMs: 10,
  });
  o.cleanup.add("outbox relay", () => relay.close());
  const started = performance.now();
  while (relay.relayedCount() < o.backlog) await new Promise((resolve) => setTimeout(resolve, 5));
  const backlogSeconds = (performance.now() - started) / 1000;

  progress(`events: steady writes at ${o.rate}/s for ${o.seconds} s`);
  const subscriber = await connect({ servers: nats.url });
  o.cleanup.add("subscriber", () => subscriber.close());
  const lags: number[] = [];
  subscriber.subscribe("evt.eu.>", {
    callback: (_error, m) => {
      const { timestamp } = m.json<{ timestamp: string }>();
      lags.push(Date.now() - Date.parse(timestamp));
    },
  });
  await subscriber.flush();
  const perCommit = 10;
  const commitsPerSecond = o.rate / perCommit;
  const steadyStart = performance.now();
  let commits = 0;
  while (performance.now() - steadyStart < o.seconds * 1000) {
    const due = Math.floor(((performance.now() - steadyStart) / 1000) * commitsPerSecond);
    if (commits < due) {
      await writer.commit(TENANTS[commits % TENANTS.length] as string, perCommit);
      commits++;
    } else await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const steadyEvents = commits * perCommit;
  const deadline = Date.now() + 30_000;
  while (lags.length < steadyEvents && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const sorted = [...lags].sort((a, b) => a - b);
  return {
    backlogEvents: o.backlog,
    backlogSeconds,
    eventsPerSecond: o.backlog / backlogSeconds,
    steadyRate: steadyEvents / o.seconds,
    steadySeconds: o.seconds,
    steadyEvents,
    lagP50Ms: percentile(sorted, 50),
    lagP99Ms: percentile(sorted, 99),
    lagMaxMs: sorted.at(-1) ?? Number.NaN,
    batchSize: BATCH_SIZE,
    pipeline: PIPELINE,
  };
}

export function renderEvents(f: EventsFigures): string {
  return [
    "Events: outbox → JetStream (regions/outbox-relay; real Postgres, own nats-server, file storage, R1)",
    `  backlog drained: ${f.backlogEvents} events in ${f.backlogSeconds.toFixed(2)} s = ${Math.round(f.eventsPerSecond)} events/s (batch ${f.batchSize}, pipeline ${f.pipeline})`,
    `  steady ${Math.round(f.steadyRate)} events/s for ${f.steadySeconds} s (${f.steadyEvents} events): lag write→subscriber p50 ${f.lagP50Ms} ms, p99 ${f.lagP99Ms} ms, max ${f.lagMaxMs} ms`,
  ].join("\n");
}

export function eventsTarget(f: EventsFigures): TargetCheck {
  return {
    name: "outbox relay throughput",
    target: "≥ 20,000 events/s",
    actual: `${Math.round(f.eventsPerSecond)} events/s`,
    pass: f.eventsPerSecond >= 20_000,
  };
}
