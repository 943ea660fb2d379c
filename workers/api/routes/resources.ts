import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { publishAfterCommit } from "../events/after-commit";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonBody, jsonResponse, listOf, successOf, UuidParam } from "../schemas/common";
import { Resource, ResourceInput, ResourceListQuery, ResourcePatch } from "../schemas/resource";
import {
  createResource,
  deleteResource,
  getResource,
  listResources,
  updateResource,
} from "../services/search/resources";
import { pageBody, successBody } from "./iam-common";

export const RESOURCES_TAG = "resources";

const EMBEDDING_NOTE =
  "A resource is keyword-searchable as soon as the write commits and semantically once embedded: the " +
  "embedding is computed after commit from the outbox (never in the request), retried on failure, and " +
  "its state is `embedding.status`.";

/** Resources under `/api/v1/resources`: the documents, policies and notes the search box finds. */
export function registerResourceRoutes(app: OpenAPIHono<AppEnv>, path: string): void {
  const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];
  const common = { tags: [RESOURCES_TAG], security };
  const read = guardedBy("resources.read");
  const write = guardedBy("resources.write");

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path,
      summary: "Create a resource",
      description: `${EMBEDDING_NOTE} Emits \`resource.created\`.`,
      ...write,
      ...acceptsIdempotencyKey(),
      request: jsonBody(ResourceInput),
      responses: {
        201: jsonResponse(successOf(Resource), "Created"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const resource = await createResource(serviceContext(c), c.req.valid("json"));
      publishAfterCommit(c);
      c.header("Location", `${path}/${resource.id}`);
      return c.json(successBody(resource, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path,
      summary: "List resources",
      description: "Newest first, cursor pagination; filters `metadata.type`, `uri`, `updated_since`.",
      ...read,
      request: { query: ResourceListQuery.omit({ include_total: true }) },
      responses: {
        200: jsonResponse(listOf(Resource), "A page of resources"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listResources(serviceContext(c), {
        limit: q.limit,
        cursor: q.cursor,
        metadataType: q["metadata.type"],
        uri: q.uri,
        updatedSince: q.updated_since,
      });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${path}/{id}`,
      summary: "Get a resource",
      description: `Another tenant's id is 404. ${EMBEDDING_NOTE}`,
      ...read,
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(Resource), "The resource"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) =>
      c.json(
        successBody(await getResource(serviceContext(c), c.req.valid("param").id), c.get("requestId")),
        200,
      ),
  );

  for (const method of ["put", "patch"] as const) {
    app.openapi(
      createRoute({
        ...common,
        method,
        path: `${path}/{id}`,
        summary: method === "put" ? "Replace a resource" : "Change a resource",
        description:
          (method === "put"
            ? "Replaces the resource: `name` and `content` are required, every other field not given is cleared. "
            : "Changes only the fields given. ") +
          "A change of name, summary or content is re-embedded after commit. Emits `resource.updated`.",
        ...write,
        request: { params: UuidParam, ...jsonBody(method === "put" ? ResourceInput : ResourcePatch) },
        responses: {
          200: jsonResponse(successOf(Resource), "Changed"),
          ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503),
        },
      }),
      async (c) => {
        const resource = await updateResource(
          serviceContext(c),
          c.req.valid("param").id,
          c.req.valid("json"),
          method === "put",
        );
        publishAfterCommit(c);
        return c.json(successBody(resource, c.get("requestId")), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      ...common,
      method: "delete",
      path: `${path}/{id}`,
      summary: "Delete a resource",
      description:
        "Soft delete: the resource disappears from every read and every search mode at once (its search row and " +
        "vectors are removed in the same transaction). Emits `resource.deleted`.",
      ...write,
      request: { params: UuidParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 429, 503) },
    }),
    async (c) => {
      await deleteResource(serviceContext(c), c.req.valid("param").id);
      publishAfterCommit(c);
      return c.body(null, 204);
    },
  );
}
