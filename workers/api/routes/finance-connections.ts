import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { publishAfterCommit } from "../events/after-commit";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonBody, jsonResponse, ListQuery, listOf, successOf } from "../schemas/common";
import {
  ConnectionIdParam,
  DEFAULT_GRACE_SECONDS,
  PaymentConnection,
  PaymentConnectionInput,
  PaymentConnectionPatch,
} from "../schemas/payment-connection";
import {
  type ConnectionDeps,
  createPaymentConnection,
  deletePaymentConnection,
  getPaymentConnection,
  listPaymentConnections,
  MAX_CONNECTIONS_PER_TENANT,
  updatePaymentConnection,
} from "../services/finance/payment-connections";
import { pageBody, successBody } from "./iam-common";

const SECRETS_NOTE =
  "Secrets are stored encrypted (AES-256-GCM under the region's data key, bound to the connection) and never " +
  "appear in any response or event: only `secret_key_last4` and `has_webhook_secret`.";

const depsOf = (c: Context<AppEnv>): ConnectionDeps => {
  const config = c.get("config");
  return { dataKey: config.dataEncryptionKey, regionUrl: config.regionUrls[config.region] };
};

/** Payment connections under `/api/v1/finance/connections`: the tenant's own provider accounts. */
export function registerPaymentConnectionRoutes(app: OpenAPIHono<AppEnv>, path: string): void {
  const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];
  const common = { tags: ["finance"], security };
  const read = guardedBy("finance.connections.read");
  const write = guardedBy("finance.connections.write");

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path,
      summary: "Connect a payment provider account",
      description:
        "Registers the tenant's own Stripe, Paystack or Flutterwave credentials. Stripe needs `secret_key` " +
        "(`sk_…`) and `webhook_secret` (`whsec_…`, the signing secret of the webhook endpoint created at Stripe " +
        "for `webhook_url`); Paystack needs only `secret_key` (it signs webhooks with it); Flutterwave needs " +
        "`secret_key` (`FLWSECK…`) and `webhook_secret` (the secret hash set in its dashboard). The key's prefix " +
        "sets `livemode`; a key of the wrong shape is 400 naming the field. Give the provider `data.webhook_url`. " +
        `${SECRETS_NOTE} At most ${MAX_CONNECTIONS_PER_TENANT} connections per tenant (409 beyond). ` +
        "Emits `payment_connection.created`.",
      ...write,
      ...acceptsIdempotencyKey(),
      request: jsonBody(PaymentConnectionInput),
      responses: {
        201: jsonResponse(successOf(PaymentConnection), "Connected"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const connection = await createPaymentConnection(serviceContext(c), depsOf(c), c.req.valid("json"));
      publishAfterCommit(c);
      c.header("Location", `${path}/${connection.id}`);
      return c.json(successBody(connection, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path,
      summary: "List payment connections",
      description: `Newest first, cursor pagination. ${SECRETS_NOTE}`,
      ...read,
      request: { query: ListQuery.omit({ include_total: true }) },
      responses: {
        200: jsonResponse(listOf(PaymentConnection), "A page of connections"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listPaymentConnections(serviceContext(c), depsOf(c), {
        limit: q.limit,
        cursor: q.cursor,
      });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${path}/{id}`,
      summary: "Get a payment connection",
      description: `Another tenant's id is 404. ${SECRETS_NOTE}`,
      ...read,
      request: { params: ConnectionIdParam },
      responses: {
        200: jsonResponse(successOf(PaymentConnection), "The connection"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) =>
      c.json(
        successBody(
          await getPaymentConnection(serviceContext(c), depsOf(c), c.req.valid("param").id),
          c.get("requestId"),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      ...common,
      method: "patch",
      path: `${path}/{id}`,
      summary: "Change or rotate a payment connection",
      description:
        "Changes only the fields given. `secret_key` replaces the key at once (same provider and mode: a live " +
        "account is a new connection). `webhook_secret` replaces the webhook secret and keeps the previous one " +
        `valid for \`grace_period_seconds\` (default ${DEFAULT_GRACE_SECONDS} s), so webhooks signed before the ` +
        "change at the provider still verify; a new Paystack key does the same for webhooks signed with the old " +
        "key. `enabled: false` stops new payments through it. Emits `payment_connection.updated`.",
      ...write,
      request: { params: ConnectionIdParam, ...jsonBody(PaymentConnectionPatch) },
      responses: {
        200: jsonResponse(successOf(PaymentConnection), "Changed"),
        ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const connection = await updatePaymentConnection(
        serviceContext(c),
        depsOf(c),
        c.req.valid("param").id,
        c.req.valid("json"),
        DEFAULT_GRACE_SECONDS,
      );
      publishAfterCommit(c);
      return c.json(successBody(connection, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "delete",
      path: `${path}/{id}`,
      summary: "Delete a payment connection",
      description:
        "Soft delete: the connection disappears from every read, takes no payment, verifies no webhook (its URL " +
        "answers as for an unknown connection), and its secrets are erased. Payments made through it keep " +
        "their history. Emits `payment_connection.deleted`.",
      ...write,
      request: { params: ConnectionIdParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 429, 503) },
    }),
    async (c) => {
      await deletePaymentConnection(serviceContext(c), depsOf(c), c.req.valid("param").id);
      publishAfterCommit(c);
      return c.body(null, 204);
    },
  );
}
