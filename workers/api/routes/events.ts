import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { EVENT_CATALOGUE, EVENT_TYPES } from "../events/catalogue";
import { hiddenEventPrefixes } from "../events/visibility";
import { preRenderedPage } from "../lib/pre-rendered";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonResponse, listOf, successOf } from "../schemas/common";
import { EventListQuery, PlatformEvent } from "../schemas/event";
import { listEvents } from "../services/events";
import { successBody } from "./iam-common";

const EventPage = listOf(PlatformEvent);

const EventTypeInfo = z
  .object({
    type: z.string().openapi({ example: "contact.created" }),
    description: z.string(),
  })
  .openapi("EventType");
type EventPage = z.infer<typeof EventPage>;

export const EVENTS_TAG = {
  name: "events",
  description:
    "Every change emits a platform event, written to the outbox in the same statement as the change. " +
    "After commit the events are delivered to the tenant's subscribers (at least once; a scheduled run " +
    "every minute retries whatever a crashed Worker left unpublished). This list is the tenant's log of them.",
};

export function registerEventRoutes(app: OpenAPIHono<AppEnv>, path: string): void {
  app.openapi(
    createRoute({
      method: "get",
      path,
      tags: ["events"],
      security: [{ bearerAuth: [] }],
      summary: "The tenant's recent events",
      description:
        "Newest first (by when the change was recorded), keyset pagination with `cursor` and `limit`. " +
        "Each item is the platform event exactly as subscribers receive it. Filters: `event_type` " +
        "(exact, or a prefix ending in a dot) and `since`. Needs `events.read` and the `crm:read` scope " +
        "(events are CRM changes so far). `webhook_endpoint.*` events are listed only to callers who may " +
        "read webhook endpoints (`webhooks.read` and the `webhooks:read` scope).",
      ...guardedBy("events.read"),
      request: { query: EventListQuery },
      responses: {
        200: jsonResponse(EventPage, "A page of events"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const ctx = serviceContext(c);
      const page = await listEvents(ctx, {
        limit: q.limit,
        cursor: q.cursor,
        eventType: q.event_type,
        since: q.since,
        hiddenPrefixes: hiddenEventPrefixes(ctx.actor),
      });
      return preRenderedPage<EventPage>(c, page, q.limit);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: `${path}/types`,
      tags: ["events"],
      security: [{ bearerAuth: [] }],
      summary: "The event catalogue",
      description:
        "Every event type the platform emits, with what it means and the `data` it carries. Webhook " +
        "endpoints' `event_types` and realtime subscriptions must name these types (or their noun: " +
        "`contact.*` for webhooks, `contact.` for realtime). Needs `events.read`.",
      ...guardedBy("events.read"),
      responses: {
        200: jsonResponse(successOf(z.array(EventTypeInfo)), "Every event type"),
        ...errorResponses(401, 403, 429, 503),
      },
    }),
    (c) =>
      c.json(
        successBody(
          EVENT_TYPES.map((type) => ({ type, description: EVENT_CATALOGUE[type] })),
          c.get("requestId"),
        ),
        200,
      ),
  );
}
