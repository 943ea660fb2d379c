import {
  createExecutionContext,
  createScheduledController,
  env,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/api/index";
import { PlatformEvent } from "../../workers/api/schemas/event";
import { createDeliveries } from "../../workers/api/webhooks/delivery-store";
import { call, envelope, tokenFor } from "./helpers";
import { db } from "./oauth-helpers";
import { insertEvent, ownerSql } from "./outbox-helpers";
import {
  deliveries,
  dispatcherOf,
  expectSameId,
  failNext,
  hangNext,
  received,
  receivedAtLeast,
  receivingTenant,
  settled,
  verifyStandard,
} from "./webhook-delivery-helpers";
import { freshTenant, hooks } from "./webhook-helpers";

/** WEBHOOK_RETRY_BASE_MS in test/worker/vitest.config.ts: retries at 1, 2, 4, 8, 16 × this. */
const BASE_MS = 250;
/** WEBHOOK_TIMEOUT_MS there: one attempt's timeout, 30 s in deployments. */
const TIMEOUT_MS = 1000;

async function createContact(token: string) {
  const res = await call("/api/v1/crm/contacts", {
    method: "POST",
    token,
    json: { first_name: "Ada", last_name: "Lovelace", email: `ada-${crypto.randomUUID()}@example.com` },
  });
  expect(res.status).toBe(201);
  return (await envelope<{ id: string }>(res)).data;
}

async function runScheduled() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("webhook delivery", () => {
  it("delivers a committed change, signed so that the standardwebhooks library verifies it", async () => {
    const t = await receivingTenant();
    const contact = await createContact(t.token);
    const [got] = await receivedAtLeast(t.name, 1);
    if (!got) throw new Error("nothing arrived");
    const event = PlatformEvent.parse(verifyStandard(t.endpoint.secret, got));
    expect(event.event_type).toBe("contact.created");
    expect(event.data).toMatchObject({ id: contact.id });
    expect(got.headers["webhook-id"]).toBe(event.event_id);
    expect(got.headers["x-webhook-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(got.headers["user-agent"]).toBe("NexusEdge-Webhooks/1");

    const delivery = await settled(t.token, t.endpoint.id, "succeeded");
    expect(delivery).toMatchObject({
      event_id: event.event_id,
      webhook_id: event.event_id,
      attempt_count: 1,
    });
    expect(delivery.attempts).toEqual([
      expect.objectContaining({ attempt: 1, response_status: 200, error: null }),
    ]);
    expect(delivery.attempts[0]?.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it("retries a failing receiver with the same webhook-id at 1, 2, 4, 8 × the base", async () => {
    const t = await receivingTenant();
    await failNext(t.name, 4);
    const eventId = await insertEvent({ tenantId: t.tenantId, eventType: "contact.updated" });
    await runPublisher(t.tenantId);
    const got = await receivedAtLeast(t.name, 5);
    expect(got).toHaveLength(5);
    expectSameId(got, eventId);
    for (const g of got) verifyStandard(t.endpoint.secret, g);
    expect(got.map((g) => g.status)).toEqual([500, 500, 500, 500, 200]);
    const gaps = got.slice(1).map((g, i) => g.at - (got[i]?.at ?? 0));
    gaps.forEach((gap, i) => {
      const expected = BASE_MS * 2 ** i;
      expect(gap).toBeGreaterThanOrEqual(expected - 20);
      expect(gap).toBeLessThan(expected + 400);
    });
    const delivery = await settled(t.token, t.endpoint.id, "succeeded");
    expect(delivery.attempts.map((a) => a.response_status)).toEqual([500, 500, 500, 500, 200]);
    expect(delivery.attempts.map((a) => a.error)).toEqual([
      "HTTP 500",
      "HTTP 500",
      "HTTP 500",
      "HTTP 500",
      null,
    ]);
  });

  it("cuts off a receiver that never answers after the attempt timeout, logs it and retries", async () => {
    const t = await receivingTenant();
    await hangNext(t.name, 1);
    const eventId = await insertEvent({ tenantId: t.tenantId, eventType: "contact.updated" });
    await runPublisher(t.tenantId);
    const got = await receivedAtLeast(t.name, 2);
    expect(got.map((g) => g.status)).toEqual([0, 200]);
    expectSameId(got, eventId);
    // The retry comes one timeout and one base delay after the hung attempt began.
    const gap = (got[1]?.at ?? 0) - (got[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(TIMEOUT_MS + BASE_MS - 20);
    expect(gap).toBeLessThan(TIMEOUT_MS + BASE_MS + 1000);
    const delivery = await settled(t.token, t.endpoint.id, "succeeded");
    expect(delivery.attempts.map((a) => [a.response_status, a.error])).toEqual([
      [null, "timed out after 1 s"],
      [200, null],
    ]);
    expect(delivery.attempts[0]?.duration_ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(delivery.attempts[0]?.duration_ms).toBeLessThan(TIMEOUT_MS + 1000);
  });

  it("refuses at send time a stored URL the guard refuses now, sending nothing", async () => {
    const t = await receivingTenant();
    // As a row stored before a guard change would be: the metadata address is refused under
    // every policy, even where private targets are allowed (as in tests).
    await ownerSql().query("update webhook_endpoints set url = $1 where id = $2", [
      "http://169.254.169.254/latest/meta-data/",
      t.endpoint.id,
    ]);
    await insertEvent({ tenantId: t.tenantId, eventType: "contact.updated" });
    await runPublisher(t.tenantId);
    const delivery = await settled(t.token, t.endpoint.id, "failed");
    expect(delivery.attempt_count).toBe(1);
    expect(delivery.attempts).toEqual([
      expect.objectContaining({ attempt: 1, response_status: null, error: expect.stringMatching(/^url /) }),
    ]);
    expect(await received(t.name)).toHaveLength(0);
  });

  it("fails after six attempts; a replay delivers it again with the same webhook-id", async () => {
    const t = await receivingTenant();
    await failNext(t.name, 6);
    const eventId = await insertEvent({ tenantId: t.tenantId, eventType: "contact.updated" });
    await runPublisher(t.tenantId);
    const failed = await settled(t.token, t.endpoint.id, "failed");
    expect(failed.attempt_count).toBe(6);
    expect(failed.last_status).toBe(500);
    expect(failed.next_attempt_at).toBeNull();
    expect(await received(t.name)).toHaveLength(6);

    const path = `/${t.endpoint.id}/deliveries/${failed.id}/replay`;
    const replay = await hooks(path, { method: "POST", token: t.token });
    expect(replay.status).toBe(202);
    const done = await settled(t.token, t.endpoint.id, "succeeded");
    expect(done.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const got = await received(t.name);
    expect(got).toHaveLength(7);
    expectSameId(got, eventId);
    verifyStandard(t.endpoint.secret, got[6] as (typeof got)[number]);
    // Only a finished delivery is replayed: in flight it is a conflict… and the list filters by state.
    const listed = await deliveries(t.token, t.endpoint.id, "?state=failed");
    expect(listed.body.data).toEqual([]);
  });

  it("delivers an event a Worker that died right after its commit left in the outbox (the sweep)", async () => {
    const t = await receivingTenant();
    const eventId = await insertEvent({
      tenantId: t.tenantId,
      eventType: "contact.updated",
      secondsAgo: 60,
    });
    await runScheduled();
    const [got] = await receivedAtLeast(t.name, 1);
    expect(got?.headers["webhook-id"]).toBe(eventId);
    // Published twice (a sweep that overlaps the request's own publisher): still one delivery.
    await ownerSql().query("update outbox_events set published_at = null where id = $1", [eventId]);
    await runScheduled();
    const { body } = await deliveries(t.token, t.endpoint.id);
    expect(body.data).toHaveLength(1);
  });

  it("re-pokes a delivery whose dispatcher never heard of it (the poke was lost)", async () => {
    const t = await receivingTenant();
    const eventId = await insertEvent({ tenantId: t.tenantId, eventType: "contact.updated" });
    const [row] = (await ownerSql().query("select payload from outbox_events where id = $1", [eventId])) as {
      payload: unknown;
    }[];
    // The sink's insert without its poke: the row exists, no dispatcher knows it.
    await createDeliveries(db(), t.tenantId, [PlatformEvent.parse(row?.payload)]);
    expect(await received(t.name)).toHaveLength(0);
    await runScheduled();
    const [got] = await receivedAtLeast(t.name, 1);
    expect(got?.headers["webhook-id"]).toBe(eventId);
  });

  it("keeps only ids in the dispatcher's storage (residency: no event body, URL or secret)", async () => {
    const t = await receivingTenant();
    await failNext(t.name, 6);
    await insertEvent({ tenantId: t.tenantId, eventType: "contact.updated" });
    await runPublisher(t.tenantId);
    await receivedAtLeast(t.name, 2);
    const snapshot = await dispatcherOf(t.endpoint.id).snapshot();
    expect(snapshot.tenantId).toBe(t.tenantId);
    expect(snapshot.queue).toHaveLength(1);
    // Every table and value the object holds, straight from its SQLite storage.
    const stored = await runInDurableObject(dispatcherOf(t.endpoint.id), (_instance, state) => {
      const tables = state.storage.sql
        .exec<{ name: string }>(
          "select name from sqlite_master where type = 'table' and name not like '\\_%' escape '\\' and name not like 'sqlite%'",
        )
        .toArray();
      return JSON.stringify(
        tables.map((tb) => state.storage.sql.exec(`select * from "${tb.name}"`).toArray()),
      );
    });
    expect(stored).not.toContain("corr-");
    expect(stored).not.toContain(t.name);
    expect(stored).not.toContain("whsec_");
    expect(stored).not.toMatch(/"n":1/);
  });

  it("fails pending deliveries of a deleted endpoint, and answers 404 for another tenant's ids", async () => {
    const t = await receivingTenant();
    await failNext(t.name, 6);
    await insertEvent({ tenantId: t.tenantId, eventType: "contact.updated" });
    await runPublisher(t.tenantId);
    await receivedAtLeast(t.name, 1);
    const { body } = await deliveries(t.token, t.endpoint.id);
    const id = body.data[0]?.id ?? "";

    const other = await freshTenant();
    expect((await deliveries(other.token, t.endpoint.id)).status).toBe(404);
    expect((await hooks(`/${t.endpoint.id}/deliveries/${id}`, { token: other.token })).status).toBe(404);
    expect(
      (await hooks(`/${t.endpoint.id}/deliveries/${id}/replay`, { method: "POST", token: other.token }))
        .status,
    ).toBe(404);
    const viewer = await tokenFor({ tenantId: t.tenantId, userId: t.userId, role: "Viewer" });
    expect(
      (await hooks(`/${t.endpoint.id}/deliveries/${id}/replay`, { method: "POST", token: viewer })).status,
    ).toBe(403);
    // Still retrying: a replay now is a conflict.
    expect(
      (await hooks(`/${t.endpoint.id}/deliveries/${id}/replay`, { method: "POST", token: t.token })).status,
    ).toBe(409);

    expect((await hooks(`/${t.endpoint.id}`, { method: "DELETE", token: t.token })).status).toBe(204);
    const [row] = await waitForState(t.tenantId, id, "failed");
    expect(row?.last_error).toBe("endpoint deleted");
  });
});

/** What the request's own publisher does after its commit (publishAfterCommit). */
async function runPublisher(tenantId: string) {
  const { publishPending } = await import("../../workers/api/events/publisher");
  const { defaultSinks } = await import("../../workers/api/events/default-sinks");
  const { loadConfig } = await import("../../workers/api/env");
  await publishPending(db(), defaultSinks(env, loadConfig(env)), { tenantId, limit: 10 });
}

async function waitForState(tenantId: string, id: string, state: string) {
  const until = Date.now() + 15_000;
  for (;;) {
    const rows = (await ownerSql().query(
      "select state, last_error from webhook_deliveries where id = $1 and tenant_id = $2",
      [id, tenantId],
    )) as { state: string; last_error: string | null }[];
    if (rows[0]?.state === state) return rows;
    if (Date.now() > until) throw new Error(`delivery ${id} is ${rows[0]?.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
