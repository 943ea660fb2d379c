import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { forgetApiKey } from "../auth/api-key";
import { guardedBy } from "../auth/permissions";
import { acceptsIdempotencyKey, REFUSES_IDEMPOTENCY_KEY, refusesIdempotencyKey } from "../lib/idempotency";
import { requestInfo } from "../lib/request-info";
import { serviceContext } from "../lib/service-context";
import { ApiKey, ApiKeyInput, ApiKeyRotation, ApiKeyWithSecret, RotatedApiKey } from "../schemas/api-key";
import { errorResponses, jsonResponse, ListQuery, listOf, successOf, UuidParam } from "../schemas/common";
import {
  createApiKey,
  DEFAULT_GRACE_SECONDS,
  getApiKey,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
} from "../services/identity/api-keys";
import { pageBody, successBody } from "./iam-common";

const CACHE_BOUND =
  "Verification is served from per-isolate copies and a shared copy in Upstash, each trusted for at most " +
  "`API_KEY_CACHE_TTL_SECONDS` (60 s by default) after the database was asked, so a revocation or rotation " +
  "takes effect everywhere within that bound: at once on the isolate that made it, and within 10 s on the " +
  "others while Upstash is reachable (the change deletes the shared copy). A key's expiry is checked on every request.";

/**
 * API keys for machine clients: `Authorization: Bearer nxk_{region}_…` or `X-API-Key`. Revoking
 * is `POST /{id}/revoke` (200 with the key), not DELETE: the row stays, listed as revoked.
 */
export function registerApiKeyRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  const path = `${base}/api-keys`;
  const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];
  const common = { tags: ["iam"], security };
  const read = guardedBy("iam.api_keys.read");
  const write = guardedBy("iam.api_keys.write");

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path,
      summary: "Create an API key",
      description:
        "Answers the key once (`secret`); only its SHA-256 is stored. `role` is at most the caller's own " +
        "(Owner > Admin > Manager > Member > Viewer > Guest; above it: 403), `expires_at` at most 90 days " +
        "away (default 90 days). API keys cannot create keys. Audited as `api_key.created`. The key stops " +
        `working if its creator leaves the tenant or falls below its role. ${CACHE_BOUND}${REFUSES_IDEMPOTENCY_KEY}`,
      ...write,
      ...refusesIdempotencyKey(),
      request: { body: { content: { "application/json": { schema: ApiKeyInput } }, required: true } },
      responses: {
        201: jsonResponse(successOf(ApiKeyWithSecret), "Created; the secret is in this response only"),
        ...errorResponses(400, 401, 403, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const minted = await createApiKey(serviceContext(c), requestInfo(c), {
        name: body.name,
        role: body.role,
        scopes: body.scopes,
        expiresAt: body.expires_at,
      });
      c.header("Location", `${path}/${minted.key.id}`);
      c.header("Cache-Control", "no-store");
      return c.json(successBody({ ...minted.key, secret: minted.secret }, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path,
      summary: "List API keys",
      description:
        "Newest first, cursor pagination; revoked and expired keys included. Never the key or its hash.",
      ...read,
      request: { query: ListQuery.omit({ include_total: true }) },
      responses: {
        200: jsonResponse(listOf(ApiKey), "A page of keys"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listApiKeys(serviceContext(c), { limit: q.limit, cursor: q.cursor });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${path}/{id}`,
      summary: "Get an API key",
      description: "Never the key or its hash. Another tenant's id is 404.",
      ...read,
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(ApiKey), "The key"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) =>
      c.json(
        successBody(await getApiKey(serviceContext(c), c.req.valid("param").id), c.get("requestId")),
        200,
      ),
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${path}/{id}/rotate`,
      summary: "Rotate an API key",
      description:
        "A successor with a new secret (shown once; same name, role and scopes) and the old key valid for " +
        "`grace_period_seconds` more (default 24 h, at most 7 days, never beyond its own expiry). Only for " +
        "keys whose role the caller could grant (else 403); a revoked, expired or already rotated key is 409. " +
        `Audited as \`api_key.rotated\`. ${CACHE_BOUND}${REFUSES_IDEMPOTENCY_KEY}`,
      ...write,
      ...refusesIdempotencyKey(),
      request: {
        params: UuidParam,
        body: { content: { "application/json": { schema: ApiKeyRotation } }, required: false },
      },
      responses: {
        201: jsonResponse(successOf(RotatedApiKey), "The successor (with its secret, once) and the old key"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      // Without a JSON body the validator passes `{}`: the defaults apply here.
      const body = c.req.valid("json") as z.infer<typeof ApiKeyRotation>;
      const rotated = await rotateApiKey(serviceContext(c), requestInfo(c), id, {
        gracePeriodSeconds: body.grace_period_seconds ?? DEFAULT_GRACE_SECONDS,
        expiresAt: body.expires_at,
      });
      // The old key's expiry just moved to the end of its grace period: no copy may keep the old one.
      await forgetApiKey(c.get("config"), rotated.previousKeyHash);
      c.header("Location", `${path}/${rotated.key.id}`);
      c.header("Cache-Control", "no-store");
      return c.json(
        successBody(
          { ...rotated.key, secret: rotated.secret, previous: rotated.previous },
          c.get("requestId"),
        ),
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${path}/{id}/revoke`,
      summary: "Revoke an API key",
      description:
        "Ends the key (idempotent: revoking again changes nothing). Any caller with `iam.api_keys.write` may " +
        `revoke any key of the tenant. Audited as \`api_key.revoked\`. ${CACHE_BOUND}`,
      ...write,
      ...acceptsIdempotencyKey(),
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(ApiKey), "The revoked key"),
        ...errorResponses(400, 401, 403, 404, 409, 422, 429, 503),
      },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      const { key, keyHash } = await revokeApiKey(serviceContext(c), requestInfo(c), id);
      // Awaited, not deferred: when this answers, no shared copy is left for other isolates.
      await forgetApiKey(c.get("config"), keyHash);
      return c.json(successBody(key, c.get("requestId")), 200);
    },
  );
}
