import { decodeBase64, encodeBase64Padded } from "../auth/credentials/base64";

/**
 * Endpoint signing secrets in the Standard Webhooks format: `whsec_` and the base64 of the key's
 * bytes. 32 bytes from the CSPRNG: within the spec's 24–64, and as long as the HMAC-SHA256
 * output, which is what RFC 2104 recommends for a key.
 */
export const WEBHOOK_SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 32;

export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + encodeBase64Padded(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/**
 * The HMAC key of a secret: the bytes after `whsec_`, base64-decoded. Both signature headers are
 * keyed by these bytes, so one secret serves both. Throws on anything this API did not mint.
 */
export function webhookSigningKey(secret: string): Uint8Array<ArrayBuffer> {
  const key = secret.startsWith(WEBHOOK_SECRET_PREFIX)
    ? decodeBase64(secret.slice(WEBHOOK_SECRET_PREFIX.length).replace(/={0,2}$/, ""))
    : null;
  if (!key || key.length < 24 || key.length > 64) throw new TypeError("Not a webhook signing secret");
  return key;
}
