import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  generateWebhookSecret,
  regionOfCredential,
  resolveBaseUrl,
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
} from "../../../packages/client/src/index";
import { webhookSignatureHeaders } from "../../../workers/api/webhooks/signature";

describe("region-aware base URL", () => {
  it("follows the credential's home region", () => {
    expect(regionOfCredential("nxk_ng_abc")).toBe("lagos");
    expect(regionOfCredential("nxk_eu_abc")).toBe("eu");
    const claims = Buffer.from(JSON.stringify({ region: "lagos" })).toString("base64url");
    expect(regionOfCredential(`h.${claims}.s`)).toBe("lagos");
    expect(resolveBaseUrl({ credential: "nxk_ng_abc" })).toEqual({
      baseUrl: "https://lagos.nexus.bac.cloud",
      region: "lagos",
    });
    expect(
      resolveBaseUrl({ credential: "nxk_ng_abc", regionUrls: { lagos: "http://127.0.0.1:8788/" } }).baseUrl,
    ).toBe("http://127.0.0.1:8788");
    expect(resolveBaseUrl({ region: "eu", baseUrl: "http://x.test/" })).toEqual({
      baseUrl: "http://x.test",
      region: "eu",
    });
    expect(resolveBaseUrl({}).region).toBe("eu");
  });
});

describe("webhook signature helpers", () => {
  const body = JSON.stringify({ event_id: "e1", event_type: "contact.created" });
  const now = 1_800_000_000;

  it("verify what the API signs (both schemes, and either secret during a rotation)", async () => {
    const [current, previous] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = await webhookSignatureHeaders([current, previous], { id: "msg_1", timestamp: now, body });
    expect(await verifyWebhook({ secret: current, body, headers, now })).toMatchObject({ event_id: "e1" });
    expect(await verifyWebhook({ secret: previous, body, headers, now })).toMatchObject({ event_id: "e1" });
    const { "X-Webhook-Signature": simple } = headers;
    expect(
      await verifyWebhook({ secret: current, body, headers: { "x-webhook-signature": simple }, now }),
    ).toBeTruthy();
  });

  it("sign what the standardwebhooks library and the API's own format accept", async () => {
    const secret = generateWebhookSecret();
    const headers = await signWebhook(secret, { id: "msg_2", body, timestamp: now });
    expect(headers).toEqual(await webhookSignatureHeaders([secret], { id: "msg_2", timestamp: now, body }));
    const fresh = await signWebhook(secret, { id: "msg_3", body });
    expect(new Webhook(secret).verify(body, fresh)).toMatchObject({ event_id: "e1" });
  });

  it("refuse a tampered body, another secret, a stale timestamp, no headers", async () => {
    const secret = generateWebhookSecret();
    const headers = await signWebhook(secret, { id: "msg_4", body, timestamp: now });
    const refused = (options: Parameters<typeof verifyWebhook>[0]) =>
      expect(verifyWebhook(options)).rejects.toBeInstanceOf(WebhookVerificationError);
    await refused({ secret, body: `${body} `, headers, now });
    await refused({ secret: generateWebhookSecret(), body, headers, now });
    await refused({ secret, body, headers, now: now + 301 });
    await refused({ secret, body, headers: {}, now });
    await refused({
      secret,
      body: `${body} `,
      headers: { "X-Webhook-Signature": headers["X-Webhook-Signature"] as string },
      now,
    });
  });
});
