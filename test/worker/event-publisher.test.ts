import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { publishPending } from "../../workers/api/events/publisher";
import type { EventSink } from "../../workers/api/events/sink";
import worker from "../../workers/api/index";
import type { PlatformEvent } from "../../workers/api/schemas/event";
import { db } from "./oauth-helpers";
import { insertEvent, ownerSql } from "./outbox-helpers";

/** A sink that remembers what it was given. */
class RecordingSink implements EventSink {
  readonly name = "recording";
  readonly seen: PlatformEvent[] = [];
  async deliver(events: readonly PlatformEvent[]) {
    // A delivery that takes a moment, so concurrent publishers overlap.
    await new Promise((r) => setTimeout(r, 20));
    this.seen.push(...events);
  }
}

const failing: EventSink = {
  name: "failing",
  deliver: async () => {
    throw new Error("sink down");
  },
};

/** A tenant of its own per test: no other publisher or test touches its rows. */
const newTenant = () => crypto.randomUUID();

async function insertMany(tenantId: string, n: number, secondsAgo = 0) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++)
    ids.push(await insertEvent({ tenantId, eventType: "test.published", secondsAgo }));
  return ids;
}

async function state(ids: string[]) {
  return (await ownerSql().query(
    "select id, published_at, claim_id from outbox_events where id = any($1::uuid[])",
    [ids],
  )) as { id: string; published_at: string | null; claim_id: string | null }[];
}

describe("event publisher", () => {
  it("the scheduled handler publishes what a Worker that died after COMMIT left behind", async () => {
    const tenantId = newTenant();
    // Unpublished and a minute old: its request's own publisher never ran.
    const [left] = await insertMany(tenantId, 1, 60);
    // Fresh rows are the request's own publisher's, not the sweep's.
    const [fresh] = await insertMany(tenantId, 1, 0);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const rows = await state([left ?? "", fresh ?? ""]);
    expect(rows.find((r) => r.id === left)?.published_at).not.toBeNull();
    expect(rows.find((r) => r.id === fresh)?.published_at).toBeNull();
  });

  it("a failing sink leaves the rows unpublished and released; the next run publishes them", async () => {
    const tenantId = newTenant();
    const ids = await insertMany(tenantId, 3);
    const recording = new RecordingSink();
    expect(await publishPending(db(), [recording, failing], { tenantId, limit: 10 })).toEqual({
      published: 0,
      failed: 3,
    });
    // At least once: the sink that worked has seen them, and will see them again.
    expect(recording.seen).toHaveLength(3);
    expect((await state(ids)).every((r) => r.published_at === null && r.claim_id === null)).toBe(true);

    const next = new RecordingSink();
    expect(await publishPending(db(), [next], { tenantId, limit: 10 })).toEqual({ published: 3, failed: 0 });
    expect(next.seen.map((e) => e.event_id)).toEqual(ids);
    expect((await state(ids)).every((r) => r.published_at !== null)).toBe(true);
    // Published rows are never delivered again.
    expect(await publishPending(db(), [next], { tenantId, limit: 10 })).toEqual({ published: 0, failed: 0 });
  });

  it("concurrent publishers deliver each row exactly once", async () => {
    const tenantId = newTenant();
    const ids = await insertMany(tenantId, 30);
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    // Small batches and a slow sink, so the three publishers' claims interleave.
    const options = { tenantId, limit: 4, rounds: 20 };
    const results = await Promise.all(sinks.map((sink) => publishPending(db(), [sink], options)));
    expect(results.reduce((n, r) => n + r.published, 0)).toBe(30);
    const delivered = sinks.flatMap((s) => s.seen.map((e) => e.event_id));
    expect(delivered.sort()).toEqual([...ids].sort());
    expect(new Set(delivered).size).toBe(30);
    expect((await state(ids)).every((r) => r.published_at !== null)).toBe(true);
  });

  it("rows held by a live claim are skipped; an expired claim (its publisher died) is taken over", async () => {
    const tenantId = newTenant();
    const [held, expired] = await insertMany(tenantId, 2);
    await ownerSql().query(
      `update outbox_events set claim_id = gen_random_uuid(),
         claimed_until = now() + case when id = $1 then interval '1 minute' else interval '-1 second' end
       where id = any($2::uuid[])`,
      [held, [held, expired]],
    );
    const sink = new RecordingSink();
    await publishPending(db(), [sink], { tenantId, limit: 10 });
    expect(sink.seen.map((e) => e.event_id)).toEqual([expired]);
  });

  it("events are delivered oldest first, and only the tenant's own", async () => {
    const tenantId = newTenant();
    const other = newTenant();
    const older = await insertEvent({ tenantId, eventType: "test.order", secondsAgo: 5 });
    const newer = await insertEvent({ tenantId, eventType: "test.order", secondsAgo: 1 });
    const foreign = await insertEvent({ tenantId: other, eventType: "test.order" });
    const sink = new RecordingSink();
    await publishPending(db(), [sink], { tenantId, limit: 10 });
    expect(sink.seen.map((e) => e.event_id)).toEqual([older, newer]);
    expect((await state([foreign]))[0]?.published_at).toBeNull();
  });
});
