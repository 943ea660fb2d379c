import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { announceRevocations, revokedFamilies } from "../auth/revocation-list";
import { REFUSES_IDEMPOTENCY_KEY, refusesIdempotencyKey } from "../lib/idempotency";
import { requestInfo } from "../lib/request-info";
import { deferOf, serviceContext } from "../lib/service-context";
import {
  errorResponses,
  jsonBody,
  jsonResponse,
  ListQuery,
  listOf,
  successOf,
  UuidParam,
} from "../schemas/common";
import { CreatedOAuthClient, OAuthClient, OAuthClientInput } from "../schemas/oauth-client";
import { createClient, deleteClient, getClient, listClients } from "../services/identity/client-registry";
import { IAM, pageBody, successBody } from "./iam-common";

/** The tenant's OAuth clients (the region's first-party `nexus-cli` is not among them). */
export function registerOAuthClientRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  const path = `${base}/oauth-clients`;
  const read = guardedBy("iam.oauth_clients.read");
  const write = guardedBy("iam.oauth_clients.write");

  app.openapi(
    createRoute({
      ...IAM,
      ...read,
      method: "get",
      path,
      summary: "List OAuth clients",
      description: "Newest first, cursor pagination. Secrets are never shown again.",
      request: { query: ListQuery.omit({ include_total: true }) },
      responses: {
        200: jsonResponse(listOf(OAuthClient), "A page of clients"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listClients(serviceContext(c), { limit: q.limit, cursor: q.cursor });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      method: "post",
      path,
      summary: "Register an OAuth client",
      description:
        "Public (PKCE, no secret) or confidential (HTTP Basic or form secret). Redirect URIs match exactly. " +
        "`client_credentials` is for confidential clients and needs `role` (not above yours). The response carries " +
        `a confidential client's \`client_secret\` once. Audited as \`oauth.client_created\`.${REFUSES_IDEMPOTENCY_KEY}`,
      ...refusesIdempotencyKey(),
      request: jsonBody(OAuthClientInput),
      responses: {
        201: jsonResponse(successOf(CreatedOAuthClient), "Registered"),
        ...errorResponses(400, 401, 403, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const client = await createClient(serviceContext(c), requestInfo(c), c.req.valid("json"));
      c.header("Location", `${path}/${client.id}`);
      c.header("Cache-Control", "no-store");
      return c.json(successBody(client, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...read,
      method: "get",
      path: `${path}/{id}`,
      summary: "Get an OAuth client",
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(OAuthClient), "The client"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const client = await getClient(serviceContext(c), c.req.valid("param").id);
      return c.json(successBody(client, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      method: "delete",
      path: `${path}/{id}`,
      summary: "Delete an OAuth client",
      description:
        "Soft delete: the token endpoint stops accepting it at once and its refresh tokens are revoked; access " +
        "tokens already issued are refused by the edge revocation list (at once here, within 10 s everywhere). " +
        "Audited as `oauth.client_deleted`.",
      request: { params: UuidParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 429, 503) },
    }),
    async (c) => {
      const { revokedFamilies: families } = await deleteClient(
        serviceContext(c),
        requestInfo(c),
        c.req.valid("param").id,
      );
      await announceRevocations(c.get("config"), revokedFamilies(families), deferOf(c));
      return c.body(null, 204);
    },
  );
}
