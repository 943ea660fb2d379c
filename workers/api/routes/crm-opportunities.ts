import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { publishAfterCommit } from "../events/after-commit";
import { rawSuccess } from "../lib/envelope";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { preRenderedJson, preRenderedPage } from "../lib/pre-rendered";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonBody, jsonResponse, listOf, successOf, UuidParam } from "../schemas/common";
import { Opportunity, OpportunityInput, OpportunityPatch } from "../schemas/opportunity";
import { OpportunityListQuery } from "../schemas/opportunity-list-query";
import {
  createOpportunity,
  deleteOpportunity,
  getOpportunity,
  listOpportunities,
  updateOpportunity,
} from "../services/opportunities";

const OpportunityPage = listOf(Opportunity);
const OpportunityItem = successOf(Opportunity);
type OpportunityPage = z.infer<typeof OpportunityPage>;
type OpportunityItem = z.infer<typeof OpportunityItem>;

/**
 * Opportunities under `/api/v1/crm/opportunities`, and under the platform spec's
 * `/api/v1/opportunities` by the same handlers.
 */
export function registerOpportunityRoutes(app: OpenAPIHono<AppEnv>, base: string, alias = false): void {
  const tags = [alias ? "crm (platform paths)" : "crm"];
  const common = { tags, security: [{ bearerAuth: [] }] };
  const read = guardedBy("crm.opportunities.read");
  const write = guardedBy("crm.opportunities.write");

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: base,
      summary: "List opportunities",
      description:
        "Newest first; keyset pagination with `cursor` and `limit`. Filters combine (all must hold): `stage`, " +
        "`status` (open, won, lost), `owner_id`, `contact_id`, `updated_since` (RFC 3339, inclusive). Keep the " +
        "same filters when following `meta.cursor`.",
      ...read,
      request: { query: OpportunityListQuery },
      responses: {
        200: jsonResponse(OpportunityPage, "A page of opportunities"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listOpportunities(serviceContext(c), {
        limit: q.limit,
        cursor: q.cursor,
        includeTotal: q.include_total,
        filters: {
          stage: q.stage,
          status: q.status,
          ownerId: q.owner_id,
          contactId: q.contact_id,
          updatedSince: q.updated_since,
        },
      });
      return preRenderedPage<OpportunityPage>(c, page, q.limit);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: base,
      summary: "Create an opportunity",
      description:
        "`stage` must be in the tenant's pipeline (400 otherwise) and defaults to its first open stage; the " +
        "status (open, won, lost) follows from the stage. `currency` defaults to the tenant's. `amount` is a " +
        'decimal string or a number with at most 2 decimals and is answered as a string ("1250.00"). A tenant ' +
        "without a pipeline (no industry) answers 409. Emits `opportunity.created`.",
      ...write,
      ...acceptsIdempotencyKey(),
      request: jsonBody(OpportunityInput),
      responses: {
        201: jsonResponse(OpportunityItem, "Created"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const opportunity = await createOpportunity(serviceContext(c), c.req.valid("json"));
      publishAfterCommit(c);
      c.header("Location", `${base}/${opportunity.id}`);
      return preRenderedJson<OpportunityItem, 201>(c, rawSuccess(opportunity.json, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${base}/{id}`,
      summary: "Get an opportunity",
      ...read,
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(OpportunityItem, "The opportunity"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const opportunity = await getOpportunity(serviceContext(c), c.req.valid("param").id);
      return preRenderedJson<OpportunityItem, 200>(c, rawSuccess(opportunity, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "patch",
      path: `${base}/{id}`,
      summary: "Change an opportunity",
      description:
        "Changes the fields given. A new `stage` must be in the tenant's pipeline (400 otherwise); entering the " +
        "won or lost stage sets `status` and `closed_at`, moving back to an open stage reopens it. Emits " +
        "`opportunity.updated`; a stage move also `opportunity.stage_changed` (data: `from`, `to`, " +
        "`opportunity`), and entering won or lost `opportunity.won` or `opportunity.lost`.",
      ...write,
      request: { params: UuidParam, ...jsonBody(OpportunityPatch) },
      responses: {
        200: jsonResponse(OpportunityItem, "Updated"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const opportunity = await updateOpportunity(
        serviceContext(c),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      publishAfterCommit(c);
      return preRenderedJson<OpportunityItem, 200>(c, rawSuccess(opportunity, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "delete",
      path: `${base}/{id}`,
      summary: "Delete an opportunity",
      description: "Soft delete: the opportunity disappears from every read. Emits `opportunity.deleted`.",
      ...write,
      request: { params: UuidParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 429, 503) },
    }),
    async (c) => {
      await deleteOpportunity(serviceContext(c), c.req.valid("param").id);
      publishAfterCommit(c);
      return c.body(null, 204);
    },
  );
}
