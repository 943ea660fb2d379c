import { Webhook } from "standardwebhooks";
import type { ReceivedWebhook } from "./webhook-receiver";

/** The reference library's verdict on one received request: its payload, or a throw when it refuses. */
export function verifyStandard(secret: string, got: ReceivedWebhook): unknown {
  return new Webhook(secret).verify(got.body, {
    "webhook-id": got.headers["webhook-id"] ?? "",
    "webhook-timestamp": got.headers["webhook-timestamp"] ?? "",
    "webhook-signature": got.headers["webhook-signature"] ?? "",
  });
}
