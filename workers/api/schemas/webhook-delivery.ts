import { z } from "@hono/zod-openapi";
import { DELIVERY_STATES } from "../../../db/schema/webhook-deliveries";
import { ListQuery, listFilter } from "./common";

const timestamp = z.string().openapi({ format: "date-time" });

export const DeliveryParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, description: "The endpoint's id." }),
  delivery_id: z.uuid().openapi({ param: { name: "delivery_id", in: "path" } }),
});

export const DeliveryListQuery = ListQuery.omit({ include_total: true }).extend({
  state: listFilter(z.enum(DELIVERY_STATES), "state", "Only deliveries in this state."),
});

export const WebhookDeliveryAttempt = z
  .object({
    attempt: z
      .number()
      .int()
      .openapi({ description: "1, 2, … over every round (replays continue the count)." }),
    started_at: timestamp,
    duration_ms: z.number().int().openapi({ description: "Until the response headers, or the failure." }),
    response_status: z.number().int().nullable().openapi({ description: "Null when no response came." }),
    error: z
      .string()
      .nullable()
      .openapi({
        description:
          "Why the attempt failed, in our words (`HTTP 500`, `timed out after 30 s`, `connection failed`, " +
          "`redirect not followed`); never the response body.",
      }),
    signature_timestamp: z
      .number()
      .int()
      .openapi({ description: "The `webhook-timestamp` it was signed with." }),
  })
  .openapi("WebhookDeliveryAttempt");

export const WebhookDelivery = z
  .object({
    id: z.uuid(),
    endpoint_id: z.uuid(),
    event_id: z.uuid(),
    event_type: z.string(),
    webhook_id: z.string().openapi({
      description: "The `webhook-id` header: the event's id, the same on every retry and replay.",
    }),
    state: z.enum(DELIVERY_STATES).openapi({
      description:
        "`pending` (waiting for its next attempt), `delivering` (an attempt in flight), `succeeded` (a 2xx), " +
        "`failed` (six attempts without a 2xx, or the endpoint was disabled or deleted).",
    }),
    attempt_count: z.number().int(),
    next_attempt_at: timestamp.nullable(),
    last_status: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
    attempts: z.array(WebhookDeliveryAttempt).openapi({ description: "Every attempt, oldest first." }),
  })
  .openapi("WebhookDelivery");
