import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { publishAfterCommit } from "../events/after-commit";
import { REFUSES_IDEMPOTENCY_KEY, refusesIdempotencyKey } from "../lib/idempotency";
import { serviceContext } from "../lib/service-context";
import {
  errorResponses,
  jsonBody,
  jsonResponse,
  ListQuery,
  listOf,
  successOf,
  UuidParam,
} from "../schemas/common";
import {
  WebhookEndpoint,
  WebhookEndpointInput,
  WebhookEndpointPatch,
  WebhookEndpointWithSecret,
  WebhookSecretRotation,
} from "../schemas/webhook-endpoint";
import {
  createWebhookEndpoint,
  DEFAULT_OVERLAP_SECONDS,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookEndpoints,
  MAX_ENDPOINTS_PER_TENANT,
  rotateWebhookEndpointSecret,
  updateWebhookEndpoint,
} from "../services/webhook-endpoints";
import type { TargetPolicy } from "../webhooks/url-guard";
import { pageBody, successBody } from "./iam-common";

export const WEBHOOKS_TAG = {
  name: "webhooks",
  description: [
    "Endpoints that receive the tenant's events. Each delivery is an HTTPS `POST` of the platform event " +
      "(`PlatformEvent`) as `application/json`, `User-Agent: NexusEdge-Webhooks/1`, signed two ways over the " +
      "exact body bytes, keyed by the endpoint secret's bytes (base64-decoded after `whsec_`):",
    "",
    "- Standard Webhooks v1: `webhook-id` (the event's `event_id`, the same on every retry), " +
      "`webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of " +
      '"{webhook-id}.{webhook-timestamp}.{body}">`. The `standardwebhooks` libraries verify it.',
    '- `X-Webhook-Signature: t=<timestamp>,v1=<hex HMAC-SHA256 of "{timestamp}.{body}">`. Compare in ' +
      "constant time and refuse timestamps more than 5 minutes away.",
    "",
    "During a secret rotation's overlap each header carries two signatures, the new secret's first " +
      "(`v1,<a> v1,<b>`; `t=…,v1=<a>,v1=<b>`): accept the delivery if either matches the secret you hold. " +
      "De-duplicate on `webhook-id`: delivery is at least once.",
  ].join("\n"),
};

const policyOf = (c: Context<AppEnv>): TargetPolicy => ({
  allowPrivateTargets: c.get("config").webhookAllowPrivateTargets,
});

/** Webhook endpoints under `/api/v1/webhooks/endpoints`. */
export function registerWebhookEndpointRoutes(app: OpenAPIHono<AppEnv>, path: string): void {
  const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];
  const common = { tags: ["webhooks"], security };
  const read = guardedBy("webhooks.read");
  const write = guardedBy("webhooks.write");

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path,
      summary: "Register a webhook endpoint",
      description:
        "Answers the endpoint's signing secret once (`secret`, `whsec_…`); it is stored encrypted and never " +
        `shown again. At most ${MAX_ENDPOINTS_PER_TENANT} endpoints per tenant (409 beyond). A refused URL is 400 ` +
        "with field `url`. Emits `webhook_endpoint.created` (without the secret)." +
        REFUSES_IDEMPOTENCY_KEY,
      ...write,
      ...refusesIdempotencyKey(),
      request: jsonBody(WebhookEndpointInput),
      responses: {
        201: jsonResponse(
          successOf(WebhookEndpointWithSecret),
          "Created; the secret is in this response only",
        ),
        ...errorResponses(400, 401, 403, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const created = await createWebhookEndpoint(
        serviceContext(c),
        { dataKey: c.get("config").dataEncryptionKey, policy: policyOf(c) },
        c.req.valid("json"),
      );
      publishAfterCommit(c);
      c.header("Location", `${path}/${created.endpoint.id}`);
      c.header("Cache-Control", "no-store");
      return c.json(successBody({ ...created.endpoint, secret: created.secret }, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path,
      summary: "List webhook endpoints",
      description: "Newest first, cursor pagination. Never a secret.",
      ...read,
      request: { query: ListQuery.omit({ include_total: true }) },
      responses: {
        200: jsonResponse(listOf(WebhookEndpoint), "A page of endpoints"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listWebhookEndpoints(serviceContext(c), { limit: q.limit, cursor: q.cursor });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${path}/{id}`,
      summary: "Get a webhook endpoint",
      description: "Never the secret. Another tenant's id is 404.",
      ...read,
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(WebhookEndpoint), "The endpoint"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) =>
      c.json(
        successBody(await getWebhookEndpoint(serviceContext(c), c.req.valid("param").id), c.get("requestId")),
        200,
      ),
  );

  app.openapi(
    createRoute({
      ...common,
      method: "patch",
      path: `${path}/{id}`,
      summary: "Change a webhook endpoint",
      description:
        "Changes only the fields given (`url`, `description`, `event_types`, `enabled`); a new URL is checked " +
        "as at registration. The secret is changed only by rotation. Emits `webhook_endpoint.updated`.",
      ...write,
      request: { params: UuidParam, ...jsonBody(WebhookEndpointPatch) },
      responses: {
        200: jsonResponse(successOf(WebhookEndpoint), "Changed"),
        ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const endpoint = await updateWebhookEndpoint(
        serviceContext(c),
        policyOf(c),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      publishAfterCommit(c);
      return c.json(successBody(endpoint, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "delete",
      path: `${path}/{id}`,
      summary: "Delete a webhook endpoint",
      description:
        "Soft delete: the endpoint disappears from every read, receives nothing more, and its secrets are " +
        "erased. Emits `webhook_endpoint.deleted`.",
      ...write,
      request: { params: UuidParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 429, 503) },
    }),
    async (c) => {
      await deleteWebhookEndpoint(serviceContext(c), c.req.valid("param").id);
      publishAfterCommit(c);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${path}/{id}/rotate-secret`,
      summary: "Rotate a webhook endpoint's signing secret",
      description:
        "A new secret, answered once. The previous one keeps signing beside it for `overlap_seconds` " +
        "(default 24 h, at most 7 days; 0 ends it at once): deliveries carry both signatures meanwhile, so " +
        "the receiver can switch at its own pace. Rotating again during an overlap ends the older secret at " +
        "once (two secrets at most). Emits `webhook_endpoint.updated`." +
        REFUSES_IDEMPOTENCY_KEY,
      ...write,
      ...refusesIdempotencyKey(),
      request: {
        params: UuidParam,
        body: { content: { "application/json": { schema: WebhookSecretRotation } }, required: false },
      },
      responses: {
        200: jsonResponse(
          successOf(WebhookEndpointWithSecret),
          "Rotated; the new secret is in this response only",
        ),
        ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      // Without a JSON body the validator passes `{}`: the default applies here.
      const body = c.req.valid("json") as z.infer<typeof WebhookSecretRotation>;
      const rotated = await rotateWebhookEndpointSecret(
        serviceContext(c),
        c.get("config").dataEncryptionKey,
        c.req.valid("param").id,
        body.overlap_seconds ?? DEFAULT_OVERLAP_SECONDS,
      );
      publishAfterCommit(c);
      c.header("Cache-Control", "no-store");
      return c.json(successBody({ ...rotated.endpoint, secret: rotated.secret }, c.get("requestId")), 200);
    },
  );
}
