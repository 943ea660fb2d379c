import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy, guardedByAll } from "../auth/permissions";
import { publishAfterCommit } from "../events/after-commit";
import { rawSuccess } from "../lib/envelope";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { preRenderedJson, preRenderedPage } from "../lib/pre-rendered";
import { serviceContext } from "../lib/service-context";
import { injectedFault } from "../lib/test-faults";
import { errorResponses, jsonBody, jsonResponse, listOf, successOf, UuidParam } from "../schemas/common";
import { Contact } from "../schemas/contact";
import { Lead, LeadConversionInput, LeadInput, LeadPatch } from "../schemas/lead";
import { LeadListQuery } from "../schemas/lead-list-query";
import { Opportunity } from "../schemas/opportunity";
import { convertLead } from "../services/lead-conversion";
import { createLead, deleteLead, getLead, listLeads, updateLead } from "../services/leads";

const LeadPage = listOf(Lead);
const LeadItem = successOf(Lead);
const ConversionItem = successOf(
  z.object({ lead: Lead, contact: Contact, opportunity: Opportunity }).openapi("LeadConversion"),
);
type LeadPage = z.infer<typeof LeadPage>;
type LeadItem = z.infer<typeof LeadItem>;
type ConversionItem = z.infer<typeof ConversionItem>;

/** Test deployments only: fail the conversion's transaction after all its writes. */
const CONVERT_FAULTS = ["lead-convert-after-writes"] as const;

/**
 * Leads under `/api/v1/crm/leads`, and under the platform spec's `/api/v1/leads` by the same
 * handlers. `opportunities` is the base path of the same family's opportunities (the Location
 * of a conversion).
 */
export function registerLeadRoutes(
  app: OpenAPIHono<AppEnv>,
  base: string,
  opportunities: string,
  alias = false,
): void {
  const tags = [alias ? "crm (platform paths)" : "crm"];
  const common = { tags, security: [{ bearerAuth: [] }] };
  const read = guardedBy("crm.leads.read");
  const write = guardedBy("crm.leads.write");

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: base,
      summary: "List leads",
      description:
        "Newest first; keyset pagination with `cursor` and `limit`. Filters combine (all must hold): " +
        "`status`, `source`, `owner_id`, `email` (exact, any case), `updated_since` (RFC 3339, inclusive). " +
        "Keep the same filters when following `meta.cursor`.",
      ...read,
      request: { query: LeadListQuery },
      responses: {
        200: jsonResponse(LeadPage, "A page of leads"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listLeads(serviceContext(c), {
        limit: q.limit,
        cursor: q.cursor,
        includeTotal: q.include_total,
        filters: {
          status: q.status,
          source: q.source,
          ownerId: q.owner_id,
          email: q.email,
          updatedSince: q.updated_since,
        },
      });
      return preRenderedPage<LeadPage>(c, page, q.limit);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: base,
      summary: "Create a lead",
      description:
        "`source` defaults to `other`, `status` to `new` (`converted` only comes from the convert route). A " +
        "`contact_id` must be a contact of the tenant (400 otherwise). Emits `lead.created`.",
      ...write,
      ...acceptsIdempotencyKey(),
      request: jsonBody(LeadInput),
      responses: {
        201: jsonResponse(LeadItem, "Created"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const lead = await createLead(serviceContext(c), c.req.valid("json"));
      publishAfterCommit(c);
      c.header("Location", `${base}/${lead.id}`);
      return preRenderedJson<LeadItem, 201>(c, rawSuccess(lead.json, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${base}/{id}`,
      summary: "Get a lead",
      ...read,
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(LeadItem, "The lead"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const lead = await getLead(serviceContext(c), c.req.valid("param").id);
      return preRenderedJson<LeadItem, 200>(c, rawSuccess(lead, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "patch",
      path: `${base}/{id}`,
      summary: "Change a lead",
      description:
        "Changes the fields given; `custom_fields`, when given, replaces the whole object. `status` cannot " +
        "become `converted` here (400); a converted lead is read-only (409). Emits `lead.updated`.",
      ...write,
      request: { params: UuidParam, ...jsonBody(LeadPatch) },
      responses: {
        200: jsonResponse(LeadItem, "Updated"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const lead = await updateLead(serviceContext(c), c.req.valid("param").id, c.req.valid("json"));
      publishAfterCommit(c);
      return preRenderedJson<LeadItem, 200>(c, rawSuccess(lead, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "delete",
      path: `${base}/{id}`,
      summary: "Delete a lead",
      description:
        "Soft delete: the lead disappears from every read. A converted lead is read-only (409). Emits `lead.deleted`.",
      ...write,
      request: { params: UuidParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 409, 429, 503) },
    }),
    async (c) => {
      await deleteLead(serviceContext(c), c.req.valid("param").id);
      publishAfterCommit(c);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${base}/{id}/convert`,
      summary: "Convert a lead",
      description:
        "In one transaction: opens the lead's opportunity, creates its contact from the lead's fields when it " +
        "has none and no `contact_id` is given (with `contact.custom_fields`, checked like a contact's), and marks " +
        "the lead `converted` (read-only from then on). Needs `crm.leads.write`, `crm.opportunities.write` and `crm.contacts.write`. Answers 201 with the lead, the contact and the " +
        "opportunity, `Location` the opportunity. Converting a converted lead answers 409, also when two " +
        "conversions race: exactly one succeeds. A tenant without a pipeline (no industry) answers 409. Emits " +
        "`contact.created` (when it creates one), `opportunity.created` and `lead.converted`.",
      ...guardedByAll("crm.leads.write", "crm.opportunities.write", "crm.contacts.write"),
      ...acceptsIdempotencyKey(),
      request: {
        params: UuidParam,
        body: { content: { "application/json": { schema: LeadConversionInput } }, required: false },
      },
      responses: {
        201: jsonResponse(ConversionItem, "Converted"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const conversion = await convertLead(
        serviceContext(c),
        c.req.valid("param").id,
        c.req.valid("json") ?? {},
        {
          failAfterWrites: injectedFault(c, CONVERT_FAULTS) !== undefined,
        },
      );
      publishAfterCommit(c);
      c.header("Location", `${opportunities}/${conversion.opportunityId}`);
      return preRenderedJson<ConversionItem, 201>(c, rawSuccess(conversion.json, c.get("requestId")), 201);
    },
  );
}
