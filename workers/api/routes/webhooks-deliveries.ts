import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { pokeDispatchers } from "../../../durable-objects/webhook-dispatcher-client";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { refusesIdempotencyKey } from "../lib/idempotency";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonResponse, listOf, successOf, UuidParam } from "../schemas/common";
import { DeliveryListQuery, DeliveryParams, WebhookDelivery } from "../schemas/webhook-delivery";
import {
  getWebhookDelivery,
  listWebhookDeliveries,
  replayWebhookDelivery,
  sendTestEvent,
} from "../services/webhook-deliveries";
import type { DeliveriesByEndpoint } from "../webhooks/delivery-store";
import { pageBody, successBody } from "./iam-common";

const RETRIES =
  "Each delivery is tried at once, then retried 1, 2, 4, 8 and 16 s after each failed attempt (a 2xx " +
  "succeeds; any other status, a redirect, a connection failure or 30 s without response headers fails " +
  "the attempt); after the sixth it is `failed`. Deliveries of one endpoint are independent and unordered.";

/** Tells the dispatchers of freshly queued deliveries; a lost poke is the sweep's: the rows are pending and due. */
async function poke(c: Context<AppEnv>, tenantId: string, deliveries: DeliveriesByEndpoint): Promise<void> {
  const config = c.get("config");
  await pokeDispatchers(
    c.env.WEBHOOK_DISPATCHER,
    { region: config.region, localRuntime: config.localRuntime },
    tenantId,
    deliveries,
  );
}

/** An endpoint's deliveries under `{path}/{id}/deliveries`, with their attempt logs. */
export function registerWebhookDeliveryRoutes(app: OpenAPIHono<AppEnv>, path: string): void {
  const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];
  const common = { tags: ["webhooks"], security };

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${path}/{id}/deliveries`,
      summary: "List an endpoint's deliveries",
      description: `Newest first, cursor pagination, optional \`state\` filter; each with its attempts. ${RETRIES}`,
      ...guardedBy("webhooks.read"),
      request: { params: UuidParam, query: DeliveryListQuery },
      responses: {
        200: jsonResponse(listOf(WebhookDelivery), "A page of deliveries"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listWebhookDeliveries(serviceContext(c), c.req.valid("param").id, q);
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${path}/{id}/deliveries/{delivery_id}`,
      summary: "Get a delivery with its attempts",
      ...guardedBy("webhooks.read"),
      request: { params: DeliveryParams },
      responses: {
        200: jsonResponse(successOf(WebhookDelivery), "The delivery"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const p = c.req.valid("param");
      const delivery = await getWebhookDelivery(serviceContext(c), p.id, p.delivery_id);
      return c.json(successBody(delivery, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${path}/{id}/deliveries/{delivery_id}/replay`,
      summary: "Replay a delivery",
      description:
        "Queues a `succeeded` or `failed` delivery again (202): a new round of attempts with the full retry " +
        "schedule, signed afresh, the event as it was committed, the same `webhook-id` (a receiver that " +
        "de-duplicates treats it as the message it already has). 409 while it is pending or in flight, or " +
        "while the endpoint is disabled. A repeated replay is therefore harmless (409), and `Idempotency-Key` " +
        "is refused with 400: the dispatcher is told at once, which must not happen before a keyed request's " +
        "commit.",
      ...guardedBy("webhooks.write"),
      ...refusesIdempotencyKey(),
      request: { params: DeliveryParams },
      responses: {
        202: jsonResponse(successOf(WebhookDelivery), "Queued"),
        ...errorResponses(400, 401, 403, 404, 409, 429, 503),
      },
    }),
    async (c) => {
      const p = c.req.valid("param");
      const ctx = serviceContext(c);
      const replayed = await replayWebhookDelivery(ctx, p.id, p.delivery_id);
      await poke(c, ctx.actor.tenantId, replayed.poke);
      return c.json(successBody(replayed.delivery, c.get("requestId")), 202);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${path}/{id}/test`,
      summary: "Send a test event to an endpoint",
      description:
        "Queues a `webhook.test` event (`data`: `endpoint_id`, `message`) for this endpoint only, whatever its " +
        "`event_types`, and answers the new delivery (202, `Location` of the delivery): it is signed, retried " +
        "and logged like any other, so its attempts show what the receiver answered. No other endpoint and no " +
        "realtime subscription receives it. It is an event of the tenant: `GET /api/v1/events` lists it, to " +
        "callers who may read webhook endpoints. 409 while the endpoint is disabled. No request body; " +
        "`Idempotency-Key` is refused with 400, as for a replay: the dispatcher is told at once, which must " +
        "not happen before a keyed request's commit.",
      ...guardedBy("webhooks.write"),
      ...refusesIdempotencyKey(),
      request: { params: UuidParam },
      responses: {
        202: jsonResponse(successOf(WebhookDelivery), "Queued"),
        ...errorResponses(400, 401, 403, 404, 409, 429, 503),
      },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      const ctx = serviceContext(c);
      const sent = await sendTestEvent(ctx, id);
      await poke(c, ctx.actor.tenantId, sent.poke);
      c.header("Location", `${path}/${id}/deliveries/${sent.delivery.id}`);
      return c.json(successBody(sent.delivery, c.get("requestId")), 202);
    },
  );
}
