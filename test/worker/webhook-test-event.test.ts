import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../workers/api/env";
import { defaultSinks } from "../../workers/api/events/default-sinks";
import { publishPending } from "../../workers/api/events/publisher";
import { PlatformEvent } from "../../workers/api/schemas/event";
import type { WebhookDeliveryView } from "../../workers/api/services/webhook-deliveries";
import { call, envelope, tokenFor } from "./helpers";
import { db } from "./oauth-helpers";
import {
  deliveries,
  received,
  receivedAtLeast,
  receivingTenant,
  settled,
  verifyStandard,
} from "./webhook-delivery-helpers";
import { ENDPOINTS, freshTenant, hooks, register } from "./webhook-helpers";

const sendTest = (token: string | null, endpointId: string) =>
  hooks<WebhookDeliveryView>(`/${endpointId}/test`, { method: "POST", token });

describe("POST /api/v1/webhooks/endpoints/{id}/test", () => {
  it("delivers a signed webhook.test event to that endpoint only, logged in its deliveries", async () => {
    const t = await receivingTenant();
    // A second endpoint of the same tenant, subscribed to every event (the empty list).
    const otherName = crypto.randomUUID();
    const other = await register(t.token, {
      url: `${new URL(t.endpoint.url).origin}/hooks/${otherName}`,
      event_types: [],
    });
    expect(other.status).toBe(201);

    const { res, status, body } = await sendTest(t.token, t.endpoint.id);
    expect(status).toBe(202);
    expect(body.data).toMatchObject({ endpoint_id: t.endpoint.id, event_type: "webhook.test" });
    expect(body.data.webhook_id).toBe(body.data.event_id);
    expect(res.headers.get("Location")).toBe(`${ENDPOINTS}/${t.endpoint.id}/deliveries/${body.data.id}`);

    const [got] = await receivedAtLeast(t.name, 1);
    if (!got) throw new Error("nothing arrived");
    const event = PlatformEvent.parse(verifyStandard(t.endpoint.secret, got));
    expect(event).toMatchObject({
      event_id: body.data.event_id,
      event_type: "webhook.test",
      tenant_id: t.tenantId,
      data: { endpoint_id: t.endpoint.id, message: expect.any(String) },
    });
    expect(got.headers["webhook-id"]).toBe(event.event_id);

    const delivery = await settled(t.token, t.endpoint.id, "succeeded");
    expect(delivery).toMatchObject({ id: body.data.id, event_id: event.event_id, attempt_count: 1 });
    expect(delivery.attempts).toEqual([
      expect.objectContaining({ attempt: 1, response_status: 200, error: null }),
    ]);

    // The outbox row is already published: the publisher fans nothing out to the other endpoint.
    // (It does receive its own webhook_endpoint.created, being subscribed to everything.)
    await publishPending(db(), defaultSinks(env, loadConfig(env)), { tenantId: t.tenantId, limit: 10 });
    await new Promise((r) => setTimeout(r, 500));
    const otherTypes = (await received(otherName)).map(
      (g) => (JSON.parse(g.body) as PlatformEvent).event_type,
    );
    expect(otherTypes).not.toContain("webhook.test");
    const otherDeliveries = (await deliveries(t.token, other.body.data.id)).body.data;
    expect(otherDeliveries.map((d) => d.event_type)).not.toContain("webhook.test");
    expect(await received(t.name)).toHaveLength(1);

    // It is an event of the tenant, in the event log.
    const log = await call("/api/v1/events?event_type=webhook.test", { token: t.token });
    expect(log.status).toBe(200);
    const listed = (await envelope<PlatformEvent[]>(log)).data;
    expect(listed.map((e) => e.event_id)).toEqual([event.event_id]);
    // …to callers who may read endpoints only (a Member has events.read, not webhooks.read).
    const member = await tokenFor({ tenantId: t.tenantId, userId: crypto.randomUUID(), role: "Member" });
    const hidden = await call("/api/v1/events?event_type=webhook.test", { token: member });
    expect(hidden.status).toBe(200);
    expect((await envelope<PlatformEvent[]>(hidden)).data).toEqual([]);
  });

  it("is 409 for a disabled endpoint, and queues nothing", async () => {
    const t = await receivingTenant({ enabled: false });
    const { status, body } = await sendTest(t.token, t.endpoint.id);
    expect(status).toBe(409);
    expect(body.errors?.[0]?.message).toMatch(/enable it/);
    expect((await deliveries(t.token, t.endpoint.id)).body.data).toEqual([]);
  });

  it("is 401 without a credential, 403 for a Viewer, 404 for another tenant's endpoint", async () => {
    const t = await receivingTenant();
    expect((await sendTest(null, t.endpoint.id)).status).toBe(401);

    const viewer = await tokenFor({ tenantId: t.tenantId, userId: crypto.randomUUID(), role: "Viewer" });
    expect((await sendTest(viewer, t.endpoint.id)).status).toBe(403);

    const intruder = await freshTenant();
    const theirs = await sendTest(intruder.token, t.endpoint.id);
    const missing = await sendTest(intruder.token, crypto.randomUUID());
    expect(theirs.status).toBe(404);
    expect(theirs.body.errors).toEqual(missing.body.errors);

    expect((await deliveries(t.token, t.endpoint.id)).body.data).toEqual([]);
    expect(await received(t.name)).toEqual([]);
  });
});
