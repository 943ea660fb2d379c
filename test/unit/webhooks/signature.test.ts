import { createHmac } from "node:crypto";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  generateWebhookSecret,
  WEBHOOK_SECRET_PREFIX,
  webhookSigningKey,
} from "../../../workers/api/webhooks/secret";
import {
  standardWebhookSignature,
  webhookSignatureHeaders,
  xWebhookSignature,
} from "../../../workers/api/webhooks/signature";

const now = () => Math.floor(Date.now() / 1000);
const body = JSON.stringify({
  event_id: "5b0e1e5e-0000-4000-8000-000000000001",
  data: { name: "Ünïcode ✓" },
});
const content = (timestamp = now()) => ({ id: "5b0e1e5e-0000-4000-8000-000000000001", timestamp, body });

/** The receiver's side of X-Webhook-Signature, written from its documentation with node:crypto. */
function verifyXSignature(header: string, secret: string, rawBody: string): boolean {
  const parts = header.split(",").map((p) => p.split("=") as [string, string]);
  const t = parts.find(([k]) => k === "t")?.[1];
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${t}.${rawBody}`).digest("hex");
  return parts.some(([k, v]) => k === "v1" && v === expected);
}

describe("webhook secrets", () => {
  it("mints whsec_ + base64 of 32 random bytes, each one new", () => {
    const a = generateWebhookSecret();
    expect(a.startsWith(WEBHOOK_SECRET_PREFIX)).toBe(true);
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(32);
    expect(webhookSigningKey(a)).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it("refuses keys it did not mint", () => {
    for (const bad of [
      "",
      "whsec_",
      "secret",
      `whsec_${"A".repeat(8)}`,
      "whsec_!!!!",
      `sk_${generateWebhookSecret().slice(6)}`,
    ]) {
      expect(() => webhookSigningKey(bad), bad).toThrow(TypeError);
    }
  });
});

describe("webhook signatures", () => {
  it("Standard Webhooks: the reference library verifies the headers", async () => {
    const secret = generateWebhookSecret();
    const headers = await webhookSignatureHeaders([secret], content());
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // The reference library's own signature is ours, byte for byte.
    const { id, timestamp } = content();
    expect(await standardWebhookSignature([secret], { id, timestamp, body })).toBe(
      new Webhook(secret).sign(id, new Date(timestamp * 1000), body),
    );
  });

  it("Standard Webhooks: a tampered body, another secret, a stale or a future timestamp fail", async () => {
    const secret = generateWebhookSecret();
    const headers = await webhookSignatureHeaders([secret], content());
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow(
      WebhookVerificationError,
    );
    for (const timestamp of [now() - 600, now() + 600]) {
      const old = await webhookSignatureHeaders([secret], content(timestamp));
      expect(() => new Webhook(secret).verify(body, old)).toThrow(WebhookVerificationError);
    }
  });

  it("during a rotation overlap both secrets sign, and either one alone verifies", async () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const headers = await webhookSignatureHeaders([current, previous], content());
    const signatures = headers["webhook-signature"]?.split(" ") ?? [];
    expect(signatures).toHaveLength(2);
    expect(signatures.every((s) => s.startsWith("v1,"))).toBe(true);
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow(
      WebhookVerificationError,
    );

    const x = headers["X-Webhook-Signature"] ?? "";
    expect(x.split(",").filter((p) => p.startsWith("v1="))).toHaveLength(2);
    expect(verifyXSignature(x, current, body)).toBe(true);
    expect(verifyXSignature(x, previous, body)).toBe(true);
    // After the overlap only the current secret signs: a receiver still on the old one fails.
    const after = await webhookSignatureHeaders([current], content());
    expect(() => new Webhook(previous).verify(body, after)).toThrow(WebhookVerificationError);
    expect(verifyXSignature(after["X-Webhook-Signature"] ?? "", previous, body)).toBe(false);
  });

  it("X-Webhook-Signature is t=<timestamp>,v1=<hex HMAC-SHA256 of timestamp.body>, as documented", async () => {
    const secret = generateWebhookSecret();
    const timestamp = 1_767_225_600;
    const header = await xWebhookSignature([secret], { id: "msg", timestamp, body });
    const expected = createHmac("sha256", Buffer.from(secret.slice(6), "base64"))
      .update(`${timestamp}.${body}`, "utf8")
      .digest("hex");
    expect(header).toBe(`t=${timestamp},v1=${expected}`);
    expect(verifyXSignature(header, secret, `${body}x`)).toBe(false);
  });

  it("headers name the message and the attempt's timestamp", async () => {
    const headers = await webhookSignatureHeaders([generateWebhookSecret()], content(1_767_225_600));
    expect(headers["webhook-id"]).toBe("5b0e1e5e-0000-4000-8000-000000000001");
    expect(headers["webhook-timestamp"]).toBe("1767225600");
    expect(headers["X-Webhook-Signature"]).toMatch(/^t=1767225600,v1=[0-9a-f]{64}$/);
  });

  it("refuses to sign without a secret, with an ambiguous id, or a fractional timestamp", async () => {
    const secret = generateWebhookSecret();
    await expect(webhookSignatureHeaders([], content())).rejects.toThrow(TypeError);
    await expect(webhookSignatureHeaders([secret], { ...content(), id: "a.b" })).rejects.toThrow(TypeError);
    await expect(webhookSignatureHeaders([secret], { ...content(), timestamp: 1.5 })).rejects.toThrow(
      TypeError,
    );
  });
});
