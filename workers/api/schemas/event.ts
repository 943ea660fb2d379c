import { z } from "@hono/zod-openapi";
import { ListQuery } from "./common";

/** The platform event schema (API.md "Events"), as stored in the outbox and delivered. */
export const PlatformEvent = z
  .object({
    event_id: z.uuid(),
    event_type: z.string().openapi({ example: "contact.created" }),
    tenant_id: z.uuid(),
    timestamp: z.string().openapi({ description: "RFC 3339 UTC, when the change was made." }),
    source: z.string().openapi({ example: "crm-service" }),
    version: z.string().openapi({ example: "1.0" }),
    data: z.record(z.string(), z.unknown()).openapi({
      description: "The changed resource as the API shows it (for contacts: the contact).",
    }),
    metadata: z.object({
      user_id: z.uuid().nullable(),
      correlation_id: z.string().openapi({ description: "The request id of the change." }),
    }),
  })
  .openapi("PlatformEvent");
export type PlatformEvent = z.infer<typeof PlatformEvent>;

/** `contact.created`, or a prefix ending in a dot: `contact.`. */
const EVENT_TYPE_FILTER = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$/;

export const EventListQuery = ListQuery.omit({ include_total: true }).extend({
  event_type: z
    .string()
    .max(100)
    .regex(EVENT_TYPE_FILTER, "event_type must be an event type or a prefix ending in a dot")
    .optional()
    .openapi({
      param: { name: "event_type", in: "query" },
      description:
        "An exact event type (`contact.created`), or a prefix ending in a dot (`contact.`: every contact event).",
      example: "contact.",
    }),
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({
      param: { name: "since", in: "query" },
      description: "RFC 3339: only events recorded at or after this instant.",
      example: "2026-01-01T00:00:00Z",
    }),
});
