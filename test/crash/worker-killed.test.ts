import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BenchStack, type RunningWorker, startBenchStack } from "../../bench/lib/bench-stack";
import { Cleanup } from "../../bench/lib/cleanup";
import { freePort } from "../../bench/lib/workerd";
import { queryAsOwner } from "../support/postgres";
import { until } from "../support/until";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../support/webhook-receiver";
import { verifyStandard } from "../support/webhook-verify";

/**
 * The outbox's promise with a real process killed: the Worker commits a change and answers 201,
 * then its workerd process is SIGKILLed while the event's publish is still waiting (the
 * `events:hold-publish` fault keeps it pending, as a crash a millisecond after the commit would
 * leave it). A new process on the same Durable Object storage runs the cron handler, whose sweep
 * publishes the row and the endpoint gets the webhook, signed and exactly once.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
const database = `nexus_crash_${process.pid}`;
const cleanup = new Cleanup();
const HOOK = "crash";

let stack: BenchStack;
let receiver: WebhookReceiver;
const received: ReceivedWebhook[] = [];

beforeAll(async () => {
  stack = await startBenchStack({
    root,
    database,
    poolSize: 2,
    keep: false,
    tokenTtlSeconds: 600,
    cleanup,
  });
  receiver = await startWebhookReceiver((name, got) => {
    if (name === HOOK) received.push(got);
  });
  cleanup.add("webhook receiver", () => receiver.close());
}, 240_000);

afterAll(() => cleanup.runAll(), 60_000);

function api(
  worker: RunningWorker,
  path: string,
  init: { method?: string; json?: unknown; fault?: string } = {},
) {
  return fetch(`${worker.url}${path}`, {
    method: init.method ?? "GET",
    headers: {
      Authorization: `Bearer ${stack.credentials.token}`,
      "Content-Type": "application/json",
      ...(init.fault ? { "Nexus-Test-Fault": init.fault } : {}),
    },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
}

describe("a Worker killed right after its commit", () => {
  it("still delivers the change's webhook: the cron sweep of a new process publishes what it left", async () => {
    const port = await freePort("127.0.0.1");
    const options = { environment: "test", scheduledTriggerPort: await freePort("127.0.0.1") } as const;
    const first = await stack.startWorker("crash", port, "on", options);

    const registered = await api(first, "/api/v1/webhooks/endpoints", {
      method: "POST",
      json: { url: `${receiver.url}/hooks/${HOOK}`, event_types: ["contact.created"] },
    });
    expect(registered.status).toBe(201);
    const endpoint = ((await registered.json()) as { data: { id: string; secret: string } }).data;

    const created = await api(first, "/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "Grace", last_name: "Hopper", email: `grace-${Date.now()}@crash.example` },
      fault: "events:hold-publish",
    });
    expect(created.status).toBe(201);
    const contactId = ((await created.json()) as { data: { id: string } }).data.id;

    // Committed, not published: the row is in the outbox, nothing has left.
    const [row] = await queryAsOwner<{ id: string; published_at: string | null }>(
      database,
      "select id, published_at from outbox_events where event_type = 'contact.created' and payload->'data'->>'id' = $1",
      [contactId],
    );
    expect(row).toBeDefined();
    expect(row?.published_at).toBeNull();
    await first.kill();
    expect(received).toHaveLength(0);

    const second = await stack.startWorker("crash", port, "on", options);
    const scheduled = second.scheduledUrl;
    if (!scheduled) throw new Error("the restarted worker has no scheduled trigger");
    // The sweep leaves rows younger than SWEEP_MIN_AGE_SECONDS (10 s) to their own request, so it
    // is run every half second until it takes this one, as the minute cron would.
    const delivered = await until("the webhook of the killed request", 45_000, async () => {
      const run = await fetch(scheduled, { method: "POST" });
      expect(run.status).toBe(200);
      return received[0];
    });

    const event = verifyStandard(endpoint.secret, delivered) as {
      event_id: string;
      event_type: string;
      data: { id: string };
    };
    expect(event.event_type).toBe("contact.created");
    expect(event.data.id).toBe(contactId);
    expect(delivered.headers["webhook-id"]).toBe(row?.id);

    // Exactly once: more sweeps find nothing left to publish or deliver.
    for (let i = 0; i < 3; i++) await fetch(scheduled, { method: "POST" });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(received).toHaveLength(1);
    const [published] = await queryAsOwner<{ published_at: string | null }>(
      database,
      "select published_at from outbox_events where id = $1",
      [row?.id],
    );
    expect(published?.published_at).not.toBeNull();
    await second.kill();
  });
});
