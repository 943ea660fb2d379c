import { encodeBase64Padded } from "../auth/credentials/base64";
import { toHex } from "../oauth/encoding";
import { webhookSigningKey } from "./secret";

/**
 * Outbound webhook signatures, with Web Crypto only (runs in workerd and Node). Every delivery
 * carries two schemes over the same raw body, keyed by the same secret(s):
 *
 * - Standard Webhooks v1: `webhook-id`, `webhook-timestamp` (Unix seconds) and
 *   `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, what the
 *   reference `standardwebhooks` libraries verify.
 * - `X-Webhook-Signature: t=<timestamp>,v1=<hex HMAC-SHA256 of "{timestamp}.{body}">`, for
 *   receivers with a hand-written check (the Stripe-style layout; the id is not signed here).
 *
 * While a rotation overlaps, both the current and the previous secret sign: each scheme then
 * lists two signatures (current first), and a receiver holding either secret verifies. The key
 * is the secret's decoded bytes (after `whsec_`), not the secret text.
 */
export interface SignedContent {
  /** The message id: the same on every retry of one delivery. */
  id: string;
  /** Unix seconds of this attempt; receivers refuse stale ones (standardwebhooks: ±5 min). */
  timestamp: number;
  /** The exact bytes sent, as text. */
  body: string;
}

async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    webhookSigningKey(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
}

function assertSigning(secrets: readonly string[], content: SignedContent): void {
  if (secrets.length === 0) throw new TypeError("A webhook needs at least one signing secret");
  if (!Number.isSafeInteger(content.timestamp)) throw new TypeError("timestamp must be whole Unix seconds");
  // Standard Webhooks splits the signed content on dots; an id with one would be ambiguous.
  if (content.id === "" || content.id.includes(".")) throw new TypeError("Invalid webhook id");
}

/** The `webhook-signature` value: `v1,<base64>` per secret, space-separated. */
export async function standardWebhookSignature(
  secrets: readonly string[],
  content: SignedContent,
): Promise<string> {
  assertSigning(secrets, content);
  const signed = `${content.id}.${content.timestamp}.${content.body}`;
  const signatures = await Promise.all(secrets.map((s) => hmacSha256(s, signed)));
  return signatures.map((mac) => `v1,${encodeBase64Padded(mac)}`).join(" ");
}

/** The `X-Webhook-Signature` value: `t=<timestamp>` then `v1=<hex>` per secret, comma-separated. */
export async function xWebhookSignature(secrets: readonly string[], content: SignedContent): Promise<string> {
  assertSigning(secrets, content);
  const signed = `${content.timestamp}.${content.body}`;
  const signatures = await Promise.all(secrets.map((s) => hmacSha256(s, signed)));
  return [`t=${content.timestamp}`, ...signatures.map((mac) => `v1=${toHex(mac)}`)].join(",");
}

/** Every signature header of one delivery attempt. */
export async function webhookSignatureHeaders(
  secrets: readonly string[],
  content: SignedContent,
): Promise<Record<string, string>> {
  const [standard, simple] = await Promise.all([
    standardWebhookSignature(secrets, content),
    xWebhookSignature(secrets, content),
  ]);
  return {
    "webhook-id": content.id,
    "webhook-timestamp": String(content.timestamp),
    "webhook-signature": standard,
    "X-Webhook-Signature": simple,
  };
}
