import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy, PERMISSIONS, ROLE_PERMISSIONS } from "../auth/permissions";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { requestInfo } from "../lib/request-info";
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
import { PermissionEntry, Role, RoleInput, RolePatch } from "../schemas/iam";
import { createRole, deleteRole, getRole, listRoles, updateRole } from "../services/identity/roles";
import { IAM, pageBody, successBody } from "./iam-common";

const CATALOGUE = PERMISSIONS.map((name) => ({
  name,
  system_roles: Object.entries(ROLE_PERMISSIONS)
    .filter(([, set]) => set.includes(name))
    .map(([role]) => role),
}));

const TOKEN_BOUND =
  "A custom role's permissions travel in its members' access tokens (`perms` claim), so a change reaches " +
  "them at their next token refresh: at most one access-token lifetime (15 minutes by default).";

/** The permission catalogue, system roles and the tenant's custom roles. */
export function registerRoleRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  const path = `${base}/roles`;
  const read = guardedBy("iam.roles.read");
  const write = guardedBy("iam.roles.write");

  app.openapi(
    createRoute({
      ...IAM,
      ...read,
      method: "get",
      path: `${base}/permissions`,
      summary: "The permission catalogue",
      description:
        "Every permission a route can require and a custom role can hold, with the system roles holding it.",
      responses: {
        200: jsonResponse(successOf(z.array(PermissionEntry)), "The catalogue"),
        ...errorResponses(401, 403, 429),
      },
    }),
    (c) => c.json(successBody(CATALOGUE, c.get("requestId")), 200),
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...read,
      method: "get",
      path,
      summary: "List roles",
      description:
        "The six system roles with their fixed permissions, and custom roles. Newest first, cursor pagination.",
      request: { query: ListQuery.omit({ include_total: true }) },
      responses: {
        200: jsonResponse(listOf(Role), "A page of roles"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listRoles(serviceContext(c), { limit: q.limit, cursor: q.cursor });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      ...acceptsIdempotencyKey(),
      method: "post",
      path,
      summary: "Create a custom role",
      description:
        "Permissions from the catalogue, none you do not hold yourself (403). Names are unique per tenant " +
        "ignoring case (409) and may not be a system role's (400). Audited as `iam.role_created`.",
      request: jsonBody(RoleInput),
      responses: {
        201: jsonResponse(successOf(Role), "Created"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const role = await createRole(serviceContext(c), requestInfo(c), c.req.valid("json"));
      c.header("Location", `${path}/${role.id}`);
      return c.json(successBody(role, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...read,
      method: "get",
      path: `${path}/{id}`,
      summary: "Get a role",
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(Role), "The role"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const role = await getRole(serviceContext(c), c.req.valid("param").id);
      return c.json(successBody(role, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      method: "patch",
      path: `${path}/{id}`,
      summary: "Change a custom role",
      description: `System roles cannot be changed (409). ${TOKEN_BOUND} Audited as \`iam.role_updated\`.`,
      request: { params: UuidParam, ...jsonBody(RolePatch) },
      responses: {
        200: jsonResponse(successOf(Role), "Changed"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const role = await updateRole(
        serviceContext(c),
        requestInfo(c),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      return c.json(successBody(role, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      method: "delete",
      path: `${path}/{id}`,
      summary: "Delete a custom role",
      description:
        "Soft delete. System roles (409) and roles still assigned to a member (409) cannot be deleted. Audited " +
        "as `iam.role_deleted`.",
      request: { params: UuidParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 409, 429, 503) },
    }),
    async (c) => {
      await deleteRole(serviceContext(c), requestInfo(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
}
