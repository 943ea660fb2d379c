/**
 * Checking a webhook delivery's signature, as the API signs it (and as `nexus webhooks listen`
 * signs what it forwards): Standard Webhooks v1 (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`) and
 * `X-Webhook-Signature: t=<timestamp>,v1=<hex HMAC-SHA256 of "{timestamp}.{body}">`. The key is
 * the base64 after `whsec_`. Web Crypto only: Node, browsers, Workers.
 */
export const WEBHOOK_SECRET_PREFIX = "whsec_";
/** Deliveries older or newer than this are refused (replay protection; the Standard Webhooks default). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
}

function signingKey(secret: string): Uint8Array<ArrayBuffer> {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new TypeError("A webhook secret starts with whsec_");
  const raw = atob(secret.slice(WEBHOOK_SECRET_PREFIX.length));
  const key = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) key[i] = raw.charCodeAt(i);
  return key;
}

async function hmac(secret: string, message: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    signingKey(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const toHex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Constant time over the strings' bytes (their lengths are not secret). */
function equal(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** A generated secret in the API's format (what `webhooks listen` signs with). */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** The headers of one signed delivery of `body`: both schemes. */
export async function signWebhook(
  secret: string,
  content: { id: string; body: string; timestamp?: number },
): Promise<Record<string, string>> {
  const timestamp = content.timestamp ?? Math.floor(Date.now() / 1000);
  const [standard, simple] = await Promise.all([
    hmac(secret, `${content.id}.${timestamp}.${content.body}`),
    hmac(secret, `${timestamp}.${content.body}`),
  ]);
  return {
    "webhook-id": content.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": `v1,${toBase64(standard)}`,
    "X-Webhook-Signature": `t=${timestamp},v1=${toHex(simple)}`,
  };
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const found = Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  return Array.isArray(found) ? found[0] : found;
}

function checkTimestamp(timestamp: number, now: number, tolerance: number): void {
  if (!Number.isSafeInteger(timestamp))
    throw new WebhookVerificationError("Missing or invalid webhook timestamp");
  if (Math.abs(now - timestamp) > tolerance)
    throw new WebhookVerificationError("Webhook timestamp is outside the tolerance");
}

export interface VerifyOptions {
  /** The secret (or, during a rotation, both secrets: either verifies). */
  secret: string | string[];
  /** The raw body exactly as received (not re-serialised JSON). */
  body: string;
  headers: HeaderSource;
  toleranceSeconds?: number;
  /** Unix seconds (tests). */
  now?: number;
}

/**
 * Verifies a delivery and returns its parsed body. Checks the Standard Webhooks headers when
 * present, else `X-Webhook-Signature`; throws WebhookVerificationError on any mismatch.
 */
export async function verifyWebhook<T = unknown>(options: VerifyOptions): Promise<T> {
  const secrets = Array.isArray(options.secret) ? options.secret : [options.secret];
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const id = header(options.headers, "webhook-id");
  const standard = header(options.headers, "webhook-signature");
  if (id && standard) {
    const timestamp = Number(header(options.headers, "webhook-timestamp"));
    checkTimestamp(timestamp, now, tolerance);
    const given = standard.split(" ").flatMap((s) => (s.startsWith("v1,") ? [s.slice(3)] : []));
    for (const secret of secrets) {
      const expected = toBase64(await hmac(secret, `${id}.${timestamp}.${options.body}`));
      if (given.some((g) => equal(g, expected))) return JSON.parse(options.body) as T;
    }
    throw new WebhookVerificationError("No matching webhook-signature");
  }
  const simple = header(options.headers, "X-Webhook-Signature");
  if (!simple) throw new WebhookVerificationError("The delivery has no signature headers");
  const parts = simple.split(",").map((p) => p.split("=", 2) as [string, string | undefined]);
  const timestamp = Number(parts.find(([k]) => k === "t")?.[1]);
  checkTimestamp(timestamp, now, tolerance);
  const given = parts.flatMap(([k, v]) => (k === "v1" && v ? [v] : []));
  for (const secret of secrets) {
    const expected = toHex(await hmac(secret, `${timestamp}.${options.body}`));
    if (given.some((g) => equal(g, expected))) return JSON.parse(options.body) as T;
  }
  throw new WebhookVerificationError("No matching X-Webhook-Signature");
}
