import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { announceRevocations, revokedFamilies } from "../auth/revocation-list";
import { fromDatabaseError } from "../lib/db-errors";
import { ApiError } from "../lib/errors";
import { logError } from "../lib/log-error";
import { requestInfo } from "../lib/request-info";
import { deferOf, serviceDatabase } from "../lib/service-context";
import {
  countAddress,
  countConnection,
  SCIM_ADDRESS_LIMIT,
  scimConnectionLimit,
} from "../limits/enterprise-limits";
import { closeMemberSockets } from "../realtime/close-member-sockets";
import { GROUP_SCHEMA, LIST_SCHEMA, SCIM_CONTENT_TYPE, ScimError, USER_SCHEMA } from "../scim/scim-error";
import { type ScimConnection, scimConnectionForToken } from "../services/identity/scim-directory";
import {
  createScimGroup,
  deleteScimGroup,
  getScimGroup,
  listScimGroups,
  patchScimGroup,
  replaceScimGroup,
} from "../services/identity/scim-groups";
import {
  createScimUser,
  deleteScimUser,
  getScimUser,
  listScimUsers,
  patchScimUser,
  replaceScimUser,
  type ScimEffects,
} from "../services/identity/scim-users";
import { scimBaseUrl } from "../services/identity/sso-connections";

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_COUNT = 200;

type ScimHandler = (c: Context<AppEnv>, conn: ScimConnection, base: string) => Promise<Response>;

const scimJson = (c: Context<AppEnv>, body: unknown, status: 200 | 201 = 200) =>
  c.body(JSON.stringify(body), status, { "Content-Type": SCIM_CONTENT_TYPE, "Cache-Control": "no-store" });

function scimFailure(c: Context<AppEnv>, error: ScimError) {
  const headers: Record<string, string> = { "Content-Type": SCIM_CONTENT_TYPE };
  if (error.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="scim"';
  if (error.status === 503) headers["Retry-After"] = "5";
  return c.body(JSON.stringify(error.body()), error.status, headers);
}

/**
 * Bearer token → the connection; SCIM errors in SCIM's format; a database outage is a 503.
 * Counted per address before the token is looked up, then per connection
 * (limits/enterprise-limits.ts); a refusal is SCIM's 429 with Retry-After.
 */
const scim =
  (handler: ScimHandler) =>
  async (c: Context<AppEnv>): Promise<Response> => {
    try {
      const config = c.get("config");
      const ns = c.env.RATE_LIMITER;
      await countAddress(ns, config, requestInfo(c).ip, SCIM_ADDRESS_LIMIT);
      const header = c.req.header("Authorization") ?? "";
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      const conn = token ? await scimConnectionForToken(serviceDatabase(c), token) : undefined;
      if (!conn) throw new ScimError(401, "A valid SCIM bearer token is required");
      const limits = await countConnection(ns, config, conn.id, scimConnectionLimit(config));
      const response = await handler(c, conn, scimBaseUrl(config.regionUrls[config.region]));
      for (const [name, value] of Object.entries(limits)) response.headers.set(name, value);
      return response;
    } catch (error) {
      if (error instanceof ScimError) return scimFailure(c, error);
      if (error instanceof ApiError && error.code === "RATE_LIMITED") {
        const refused = scimFailure(c, new ScimError(429, error.message));
        for (const [name, value] of Object.entries(error.headers)) refused.headers.set(name, value);
        return refused;
      }
      if (error instanceof ApiError && error.code === "SERVICE_UNAVAILABLE")
        return scimFailure(c, new ScimError(503, "Try again shortly"));
      if (fromDatabaseError(error)?.status === 503)
        return scimFailure(c, new ScimError(503, "Try again shortly"));
      logError("scim request failed", c.get("requestId"), error);
      return scimFailure(c, new ScimError(500, "Internal error"));
    }
  };

async function bodyOf(c: Context<AppEnv>): Promise<unknown> {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== SCIM_CONTENT_TYPE && type !== "application/json") {
    throw new ScimError(415, `Send ${SCIM_CONTENT_TYPE}`);
  }
  const length = Number(c.req.header("Content-Length") ?? "0");
  if (length > MAX_BODY_BYTES) throw new ScimError(413, "The body is over 1 MiB", "tooMany");
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) throw new ScimError(413, "The body is over 1 MiB", "tooMany");
  try {
    return JSON.parse(text);
  } catch {
    throw new ScimError(400, "The body is not JSON", "invalidSyntax");
  }
}

function listQuery(c: Context<AppEnv>) {
  const startIndex = Math.max(1, Number.parseInt(c.req.query("startIndex") ?? "1", 10) || 1);
  const count = Math.min(MAX_COUNT, Math.max(0, Number.parseInt(c.req.query("count") ?? "100", 10) || 0));
  const filter = c.req.query("filter");
  if (filter !== undefined && filter.length > 1000)
    throw new ScimError(400, "The filter is too long", "invalidFilter");
  return { startIndex, count, filter: filter || undefined };
}

const listResponse = (page: { total: number; items: unknown[] }, startIndex: number) => ({
  schemas: [LIST_SCHEMA],
  totalResults: page.total,
  startIndex,
  itemsPerPage: page.items.length,
  Resources: page.items,
});

/** After a committed change: the member's refresh tokens are refused at the edge and their sockets close. */
async function settle(c: Context<AppEnv>, conn: ScimConnection, effects: ScimEffects) {
  if (effects.revokedFamilies.length > 0) {
    await announceRevocations(c.get("config"), revokedFamilies(effects.revokedFamilies), deferOf(c));
  }
  if (effects.userId && (effects.membershipChanged || effects.revokedFamilies.length > 0)) {
    closeMemberSockets(c, conn.tenantId, effects.userId);
  }
}

const closeAll = (c: Context<AppEnv>, conn: ScimConnection, users: string[]) => {
  for (const user of users) closeMemberSockets(c, conn.tenantId, user);
};

/**
 * SCIM 2.0 (RFC 7643/7644) provisioning at /scim/v2: Users and Groups of the connection whose
 * bearer token is presented (`POST /api/v1/iam/sso/connections/{id}/scim-token`). Okta's and
 * Entra's dialects are accepted (scim/dialects.ts); filters and patches go through scim2-parse-filter
 * and scim-patch. Outside /api: answers are SCIM documents, not the API envelope.
 */
export function registerScimRoutes(app: OpenAPIHono<AppEnv>, base = "/scim/v2"): void {
  app.get(
    `${base}/ServiceProviderConfig`,
    scim(async (c) =>
      scimJson(c, {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        patch: { supported: true },
        bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
        filter: { supported: true, maxResults: MAX_COUNT },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: false },
        authenticationSchemes: [
          {
            type: "oauthbearertoken",
            name: "Bearer token",
            description: "The connection's SCIM token",
            primary: true,
          },
        ],
      }),
    ),
  );
  app.get(
    `${base}/ResourceTypes`,
    scim(async (c) =>
      scimJson(
        c,
        listResponse(
          {
            total: 2,
            items: [
              {
                schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                id: "User",
                name: "User",
                endpoint: "/Users",
                schema: USER_SCHEMA,
              },
              {
                schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                id: "Group",
                name: "Group",
                endpoint: "/Groups",
                schema: GROUP_SCHEMA,
              },
            ],
          },
          1,
        ),
      ),
    ),
  );

  app.get(
    `${base}/Users`,
    scim(async (c, conn, url) => {
      const q = listQuery(c);
      return scimJson(c, listResponse(await listScimUsers(serviceDatabase(c), conn, q, url), q.startIndex));
    }),
  );
  app.post(
    `${base}/Users`,
    scim(async (c, conn, url) => {
      const { resource, effects } = await createScimUser(
        serviceDatabase(c),
        conn,
        await bodyOf(c),
        url,
        requestInfo(c),
      );
      await settle(c, conn, effects);
      c.header("Location", resource.meta.location);
      return scimJson(c, resource, 201);
    }),
  );
  app.get(
    `${base}/Users/:id`,
    scim(async (c, conn, url) =>
      scimJson(c, await getScimUser(serviceDatabase(c), conn, c.req.param("id") ?? "", url)),
    ),
  );
  app.put(
    `${base}/Users/:id`,
    scim(async (c, conn, url) => {
      const { resource, effects } = await replaceScimUser(
        serviceDatabase(c),
        conn,
        c.req.param("id") ?? "",
        await bodyOf(c),
        url,
      );
      await settle(c, conn, effects);
      return scimJson(c, resource);
    }),
  );
  app.patch(
    `${base}/Users/:id`,
    scim(async (c, conn, url) => {
      const { resource, effects } = await patchScimUser(
        serviceDatabase(c),
        conn,
        c.req.param("id") ?? "",
        await bodyOf(c),
        url,
      );
      await settle(c, conn, effects);
      return scimJson(c, resource);
    }),
  );
  app.delete(
    `${base}/Users/:id`,
    scim(async (c, conn) => {
      const effects = await deleteScimUser(serviceDatabase(c), conn, c.req.param("id") ?? "", requestInfo(c));
      await settle(c, conn, effects);
      return c.body(null, 204);
    }),
  );

  app.get(
    `${base}/Groups`,
    scim(async (c, conn, url) => {
      const q = listQuery(c);
      const members = !(c.req.query("excludedAttributes") ?? "").split(",").includes("members");
      return scimJson(
        c,
        listResponse(await listScimGroups(serviceDatabase(c), conn, { ...q, members }, url), q.startIndex),
      );
    }),
  );
  app.post(
    `${base}/Groups`,
    scim(async (c, conn, url) => {
      const { resource, changedUsers } = await createScimGroup(
        serviceDatabase(c),
        conn,
        await bodyOf(c),
        url,
      );
      closeAll(c, conn, changedUsers);
      c.header("Location", resource.meta.location);
      return scimJson(c, resource, 201);
    }),
  );
  app.get(
    `${base}/Groups/:id`,
    scim(async (c, conn, url) => {
      const members = !(c.req.query("excludedAttributes") ?? "").split(",").includes("members");
      return scimJson(c, await getScimGroup(serviceDatabase(c), conn, c.req.param("id") ?? "", url, members));
    }),
  );
  app.put(
    `${base}/Groups/:id`,
    scim(async (c, conn, url) => {
      const { resource, changedUsers } = await replaceScimGroup(
        serviceDatabase(c),
        conn,
        c.req.param("id") ?? "",
        await bodyOf(c),
        url,
      );
      closeAll(c, conn, changedUsers);
      return scimJson(c, resource);
    }),
  );
  app.patch(
    `${base}/Groups/:id`,
    scim(async (c, conn, url) => {
      const { resource, changedUsers } = await patchScimGroup(
        serviceDatabase(c),
        conn,
        c.req.param("id") ?? "",
        await bodyOf(c),
        url,
      );
      closeAll(c, conn, changedUsers);
      return scimJson(c, resource);
    }),
  );
  app.delete(
    `${base}/Groups/:id`,
    scim(async (c, conn) => {
      const { changedUsers } = await deleteScimGroup(serviceDatabase(c), conn, c.req.param("id") ?? "");
      closeAll(c, conn, changedUsers);
      return c.body(null, 204);
    }),
  );

  const registry = app.openAPIRegistry;
  const scimBody = { content: { [SCIM_CONTENT_TYPE]: { schema: z.record(z.string(), z.unknown()) } } };
  const security = [{ scimBearer: [] }];
  registry.registerComponent("securitySchemes", "scimBearer", {
    type: "http",
    scheme: "bearer",
    description:
      "A connection's SCIM token (`nxscim_…`, from `POST /api/v1/iam/sso/connections/{id}/scim-token`).",
  });
  const doc = (
    method: "get" | "post" | "put" | "patch" | "delete",
    path: string,
    summary: string,
    description: string,
  ) =>
    registry.registerPath({
      method,
      path: `${base}${path}`,
      tags: ["scim"],
      summary,
      description,
      security,
      ...(method === "post" || method === "put" || method === "patch" ? { request: { body: scimBody } } : {}),
      responses: {
        200: {
          description: "SCIM resource or ListResponse",
          content: { [SCIM_CONTENT_TYPE]: { schema: z.record(z.string(), z.unknown()) } },
        },
        201: { description: "Created" },
        204: { description: "Deleted" },
        400: { description: "SCIM error (`scimType` invalidValue, invalidFilter, invalidSyntax…)" },
        401: { description: "No or wrong SCIM token" },
        404: { description: "Not a resource of this connection" },
        409: { description: "userName or displayName already exists (`uniqueness`)" },
      },
    });
  doc(
    "get",
    "/ServiceProviderConfig",
    "SCIM capabilities",
    "Patch and filter supported; bulk, sort, etag not.",
  );
  doc(
    "get",
    "/Users",
    "List or find users",
    '`filter` (e.g. `userName eq "a@acme.example"`), `startIndex`, `count` (≤ 200).',
  );
  doc(
    "post",
    "/Users",
    "Provision a user",
    "The address (primary email, else userName) must be on a domain of the connection that the tenant verified. Makes " +
      "the person an active member (`active: false`: suspended) with the connection's default role; a person who " +
      "signed in just in time before is adopted.",
  );
  doc("get", "/Users/{id}", "Get a user", "");
  doc("put", "/Users/{id}", "Replace a user", "`active: false` suspends the membership as PATCH does.");
  doc(
    "patch",
    "/Users/{id}",
    "Change a user (PatchOp)",
    'Deactivation (`active` false; Entra\'s `"False"` string and capitalised ops accepted) suspends the membership, ' +
      "revokes the member's refresh tokens in this tenant (their access tokens are refused within 10 s) and closes " +
      "their realtime sockets, as a member removal does. Owners are never suspended through SCIM.",
  );
  doc("delete", "/Users/{id}", "Deprovision a user", "Ends the membership as a member removal does.");
  doc("get", "/Groups", "List groups", "`excludedAttributes=members` leaves members out.");
  doc("post", "/Groups", "Create a group", "Members' roles follow the connection's `group_roles`.");
  doc("get", "/Groups/{id}", "Get a group", "");
  doc("put", "/Groups/{id}", "Replace a group", "");
  doc(
    "patch",
    "/Groups/{id}",
    "Change a group (PatchOp)",
    "add/remove members (Okta's `members[value eq \"…\"]` path and Entra's `path: members` with a value list), " +
      "replace displayName. Each affected member's role is re-derived.",
  );
  doc("delete", "/Groups/{id}", "Delete a group", "");
}
