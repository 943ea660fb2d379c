import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { regionDatabase } from "../../../db/client";
import type { AppEnv } from "../app-env";
import { actorMay, requirePermission } from "../auth/permissions";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { logError } from "../lib/log-error";
import { requestInfo } from "../lib/request-info";
import { deferOf, serviceContext } from "../lib/service-context";
import { FAULT_HEADER } from "../lib/test-faults";
import { errorResponses, jsonResponse, listOf, successOf, UuidParam } from "../schemas/common";
import { PrivacyRequest, PrivacyRequestInput, PrivacyRequestListQuery } from "../schemas/privacy";
import { requestJson } from "../services/privacy/request-json";
import { loadRequest } from "../services/privacy/request-rows";
import {
  createRequest,
  downloadArchive,
  getRequest,
  listRequests,
  mayRequest,
} from "../services/privacy/requests";
import { driveRequest, PRIVACY_FAULTS } from "../services/privacy/run";
import { pageBody, successBody } from "./iam-common";

export const PRIVACY_TAG = {
  name: "privacy",
  description:
    "Data subject requests (GDPR Art. 15, 17, 20; Nigeria's NDPA ss.34–38): an export or an erasure of a contact, " +
    "a lead, a member (user) or the whole tenant, across every store that can hold the person's data (the home " +
    "region's Postgres tables, chat, AI sessions and runs, search documents and embeddings, the outbox and the " +
    "region's JetStream, webhook logs, raw provider events, sessions and tokens, Durable Object storage, Upstash). " +
    "Asynchronous: a request answers 202 at once and runs store by store; `GET …/{id}` shows each store's " +
    "progress and outcome; a run that dies is resumed by the region's scheduled handler from its first unfinished " +
    "store. Invoices and payments are kept for the statutory period (Germany 8 years, Nigeria 6) with the person's " +
    "identifying fields minimised (`held`). Owner and Admin only (`privacy.requests.write` / `.read`), audited; " +
    "any signed-in person may ask for an export of their own user and read and download it.",
};

const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];

/**
 * POST: the permission, or a person's export of their own user. The body is read here (Hono
 * caches it for the validator); anything else gets requirePermission's 403.
 */
const permissionOrOwnExport = createMiddleware<AppEnv>(async (c, next) => {
  const actor = c.get("actor");
  if (actor && !actorMay(actor, "privacy.requests.write")) {
    const parsed = PrivacyRequestInput.safeParse(await c.req.json().catch(() => null));
    if (parsed.success && mayRequest(serviceContext(c), parsed.data)) return next();
  }
  return requirePermission("privacy.requests.write")(c, next);
});

/** GET one: the permission, or the person who asked for it. */
const permissionOrRequester = createMiddleware<AppEnv>(async (c, next) => {
  const actor = c.get("actor");
  if (actor && !actorMay(actor, "privacy.requests.read")) {
    const id = c.req.param("id") ?? "";
    const request = /^[0-9a-f-]{36}$/i.test(id)
      ? await loadRequest(serviceContext(c).db, actor.tenantId, id)
      : null;
    if (request && request.requested_by === actor.userId) return next();
  }
  return requirePermission("privacy.requests.read")(c, next);
});

/** Test deployments only: `crash-after:<store>` / `fail:<store>` (services/privacy/run.ts). */
function faultOf(c: Context<AppEnv>): string | undefined {
  if (c.get("config").environment !== "test") return undefined;
  const value = c.req.header(FAULT_HEADER);
  return value && PRIVACY_FAULTS.test(value) ? value : undefined;
}

export function registerPrivacyRoutes(app: OpenAPIHono<AppEnv>, path: string): void {
  const common = { tags: ["privacy"], security };

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path,
      summary: "Request an export or an erasure",
      description:
        "Starts an export or an erasure of `subject` (202, `Location` of the request). `tenant` erases or exports " +
        "the caller's whole tenant (`id` is the tenant's id). An erasure is irreversible: rows are deleted or their " +
        "identifying values replaced by `[redacted]`; the request row (ids and counts) stays as its record. A " +
        "subject the tenant does not hold answers 404.",
      middleware: [permissionOrOwnExport],
      "x-permission": "privacy.requests.write",
      "x-self-export": true,
      ...acceptsIdempotencyKey(),
      request: { body: { content: { "application/json": { schema: PrivacyRequestInput } }, required: true } },
      responses: {
        202: jsonResponse(successOf(PrivacyRequest), "Accepted; runs in the background"),
        ...errorResponses(400, 401, 403, 404, 409, 422, 429, 503),
      },
    }),
    async (c) => {
      const ctx = serviceContext(c);
      const created = await createRequest(ctx, requestInfo(c), c.req.valid("json"), faultOf(c));
      const config = c.get("config");
      const defer = deferOf(c);
      const deps = { db: regionDatabase(config), env: c.env, config };
      // A keyed request commits in the idempotency middleware after this handler returns: until
      // then the run cannot see its row, so it asks again a few times. Whatever it misses (and
      // anything without waitUntil) the scheduled handler takes within a minute.
      const keyed = c.get("database") !== undefined;
      const run = (async () => {
        for (let attempt = 0; attempt < (keyed ? 8 : 1); attempt++) {
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 250));
          if (await driveRequest(deps, created.tenant_id, created.id)) return;
        }
      })().catch((error: unknown) => logError("privacy request run failed", c.get("requestId"), error));
      if (defer) defer(run);
      c.header("Location", `${path}/${created.id}`);
      return c.json(successBody(await requestJson(ctx.db, created, path), c.get("requestId")), 202);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path,
      summary: "List the tenant's privacy requests",
      description: "Newest first, cursor pagination.",
      middleware: [requirePermission("privacy.requests.read")],
      "x-permission": "privacy.requests.read",
      request: { query: PrivacyRequestListQuery },
      responses: {
        200: jsonResponse(listOf(PrivacyRequest), "A page of requests"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const ctx = serviceContext(c);
      const q = c.req.valid("query");
      const page = await listRequests(ctx, q);
      const items = await Promise.all(page.items.map((r) => requestJson(ctx.db, r, path)));
      return c.json(
        pageBody(
          { items, cursor: page.nextCursor, hasMore: page.nextCursor !== null },
          q.limit,
          c.get("requestId"),
        ),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${path}/{id}`,
      summary: "Get a privacy request with its per-store progress",
      description:
        "`status` is `running`, `completed` or `failed`; `stores` lists every store the request visits in order, " +
        "each with its state, attempts, outcome (`action`, `rows`, `reason`) or error code.",
      middleware: [permissionOrRequester],
      "x-permission": "privacy.requests.read",
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(PrivacyRequest), "The request"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const ctx = serviceContext(c);
      const request = await getRequest(ctx, c.req.valid("param").id);
      return c.json(successBody(await requestJson(ctx.db, request, path), c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${path}/{id}/download`,
      summary: "Download an export's archive",
      description:
        "A POSIX tar archive (`application/x-tar`): `manifest.json` (the request, and per file its store, where it " +
        "lives and its row count) and `stores/<store>.json` (a JSON array of the subject's rows). Available for 7 " +
        "days after the export completed (then 404), to the tenant's readers of privacy requests and to the person " +
        "who asked; 409 while the export runs. Each download is audited.",
      middleware: [permissionOrRequester],
      "x-permission": "privacy.requests.read",
      request: { params: UuidParam },
      responses: {
        200: {
          description: "The archive",
          content: { "application/x-tar": { schema: { type: "string", format: "binary" } } },
        },
        ...errorResponses(400, 401, 403, 404, 409, 429, 503),
      },
    }),
    async (c) => {
      const { archive, filename } = await downloadArchive(
        serviceContext(c),
        requestInfo(c),
        c.req.valid("param").id,
      );
      return c.body(archive as Uint8Array<ArrayBuffer>, 200, {
        "Content-Type": "application/x-tar",
        "Content-Disposition": `attachment; filename="${filename}"`,
        "Cache-Control": "no-store",
      });
    },
  );
}
