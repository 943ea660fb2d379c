import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { PlatformEvent } from "../../../workers/api/schemas/event";
import { buildDeliveryRequest, WEBHOOK_USER_AGENT } from "../../../workers/api/webhooks/delivery-request";
import { generateWebhookSecret } from "../../../workers/api/webhooks/secret";

const event: PlatformEvent = {
  event_id: "0b6f1c3e-2f4a-4c1e-9a2b-5c6d7e8f9a01",
  event_type: "contact.created",
  tenant_id: "11111111-1111-4111-8111-111111111111",
  timestamp: "2026-11-22T10:00:00.000Z",
  source: "crm-service",
  version: "1.0",
  data: { id: "22222222-2222-4222-8222-222222222222", first_name: "Ada" },
  metadata: { user_id: null, correlation_id: "req-1" },
};

/** The request's headers as the receiver's library takes them (this lib has no Headers iterator). */
function headersOf(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}

describe("buildDeliveryRequest", () => {
  it("POSTs the platform event as JSON with both signature schemes and the user agent", async () => {
    const secret = generateWebhookSecret();
    const request = await buildDeliveryRequest(
      { id: "e1", url: "https://hooks.example.com/in?src=nexus", secrets: [secret] },
      event,
    );
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://hooks.example.com/in?src=nexus");
    expect(request.redirect).toBe("manual");
    expect(request.headers.get("Content-Type")).toBe("application/json");
    expect(request.headers.get("User-Agent")).toBe(WEBHOOK_USER_AGENT);
    expect(request.headers.get("webhook-id")).toBe(event.event_id);
    expect(Number(request.headers.get("webhook-timestamp"))).toBeCloseTo(Date.now() / 1000, -1);
    expect(request.headers.get("X-Webhook-Signature")).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    const raw = await request.text();
    expect(JSON.parse(raw)).toEqual(event);
    const headers = headersOf(request);
    expect(new Webhook(secret).verify(raw, headers)).toEqual(event);
  });

  it("signs with every active secret, and keeps the id while the timestamp follows the attempt", async () => {
    const [current, previous] = [generateWebhookSecret(), generateWebhookSecret()];
    const target = { id: "e1", url: "https://hooks.example.com/", secrets: [current, previous] };
    const first = await buildDeliveryRequest(target, event, { timestamp: 1_767_225_600 });
    const retry = await buildDeliveryRequest(target, event, { timestamp: 1_767_225_601 });
    expect(first.headers.get("webhook-id")).toBe(retry.headers.get("webhook-id"));
    expect(first.headers.get("webhook-timestamp")).toBe("1767225600");
    expect(retry.headers.get("webhook-timestamp")).toBe("1767225601");
    expect(first.headers.get("webhook-signature")?.split(" ")).toHaveLength(2);
    expect(first.headers.get("webhook-signature")).not.toBe(retry.headers.get("webhook-signature"));

    const now = await buildDeliveryRequest(target, event);
    const raw = await now.clone().text();
    const headers = headersOf(now);
    expect(new Webhook(current).verify(raw, headers)).toEqual(event);
    expect(new Webhook(previous).verify(raw, headers)).toEqual(event);
  });
});
