import type { PlatformEvent } from "../schemas/event";
import { webhookSignatureHeaders } from "./signature";

export const WEBHOOK_USER_AGENT = "NexusEdge-Webhooks/1";

/** Where one event goes, and the secrets that sign it (current first; two while a rotation overlaps). */
export interface DeliveryTarget {
  /** The endpoint's id. */
  id: string;
  /** Canonical URL, as checkWebhookUrl answered it at registration. */
  url: string;
  secrets: readonly string[];
}

/**
 * The HTTP request that delivers `event` to `target`: POST, the platform event as the JSON body
 * (signed byte for byte), the signature headers (signature.ts) and `User-Agent:
 * NexusEdge-Webhooks/1`. `webhook-id` is the event's id, so retries, and a redelivery of the same
 * event, carry the same id and receivers de-duplicate on it. The timestamp is the attempt's (now
 * by default): receivers refuse old ones, so each retry is signed afresh.
 *
 * Redirects are not followed: a redirect's target never passed the URL guard. The caller runs
 * checkWebhookUrl on `target.url` first and sets its own timeout (an AbortSignal) on fetch.
 */
export async function buildDeliveryRequest(
  target: DeliveryTarget,
  event: PlatformEvent,
  options: { timestamp?: number } = {},
): Promise<Request> {
  const body = JSON.stringify(event);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signatures = await webhookSignatureHeaders(target.secrets, { id: event.event_id, timestamp, body });
  return new Request(target.url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "User-Agent": WEBHOOK_USER_AGENT,
      ...signatures,
    },
    body,
    redirect: "manual",
  });
}
