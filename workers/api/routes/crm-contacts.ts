import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { publishAfterCommit } from "../events/after-commit";
import { rawSuccess } from "../lib/envelope";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { preRenderedJson, preRenderedPage } from "../lib/pre-rendered";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonResponse, listOf, successOf, UuidParam } from "../schemas/common";
import { Contact, ContactInput } from "../schemas/contact";
import { ContactListQuery } from "../schemas/contact-list-query";
import { createContact, deleteContact, getContact, listContacts, replaceContact } from "../services/contacts";

const ContactPage = listOf(Contact);
const ContactItem = successOf(Contact);
type ContactPage = z.infer<typeof ContactPage>;
type ContactItem = z.infer<typeof ContactItem>;

/**
 * Contacts under `/api/v1/crm/contacts`, and under the platform spec's `/api/v1/contacts` by
 * the same handlers (registered once per base path).
 */
export function registerContactRoutes(app: OpenAPIHono<AppEnv>, base: string, alias = false): void {
  const tags = [alias ? "crm (platform paths)" : "crm"];
  const common = { tags, security: [{ bearerAuth: [] }] };
  const read = guardedBy("crm.contacts.read");
  const write = guardedBy("crm.contacts.write");

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: base,
      summary: "List contacts",
      description:
        "Newest first; keyset pagination with `cursor` and `limit`. Filters combine (all must hold): " +
        "`email` (exact, any case), `name` (part of first and last name, any case), `tag`, `owner_id`, " +
        "`phone` (the same digits, however written; matched by a blind index, as phone numbers are stored " +
        "encrypted), `updated_since` (RFC 3339, inclusive). Keep the same filters when following `meta.cursor`.",
      ...read,
      request: { query: ContactListQuery },
      responses: {
        200: jsonResponse(ContactPage, "A page of contacts"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listContacts(serviceContext(c), {
        limit: q.limit,
        cursor: q.cursor,
        includeTotal: q.include_total,
        filters: {
          email: q.email,
          name: q.name,
          tag: q.tag,
          ownerId: q.owner_id,
          phone: q.phone,
          updatedSince: q.updated_since,
        },
      });
      return preRenderedPage<ContactPage>(c, page, q.limit);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: base,
      summary: "Create a contact",
      description: "Emits `contact.created`.",
      ...write,
      ...acceptsIdempotencyKey(),
      request: { body: { content: { "application/json": { schema: ContactInput } }, required: true } },
      responses: {
        201: jsonResponse(ContactItem, "Created"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const contact = await createContact(serviceContext(c), c.req.valid("json"));
      publishAfterCommit(c);
      c.header("Location", `${base}/${contact.id}`);
      return preRenderedJson<ContactItem, 201>(c, rawSuccess(contact.json, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${base}/{id}`,
      summary: "Get a contact",
      ...read,
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(ContactItem, "The contact"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const contact = await getContact(serviceContext(c), c.req.valid("param").id);
      return preRenderedJson<ContactItem, 200>(c, rawSuccess(contact, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "put",
      path: `${base}/{id}`,
      summary: "Replace a contact",
      description: "Fields left out are cleared. Emits `contact.updated`.",
      ...write,
      request: {
        params: UuidParam,
        body: { content: { "application/json": { schema: ContactInput } }, required: true },
      },
      responses: {
        200: jsonResponse(ContactItem, "Updated"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const contact = await replaceContact(serviceContext(c), c.req.valid("param").id, c.req.valid("json"));
      publishAfterCommit(c);
      return preRenderedJson<ContactItem, 200>(c, rawSuccess(contact, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "delete",
      path: `${base}/{id}`,
      summary: "Delete a contact",
      description: "Soft delete: the contact disappears from every read. Emits `contact.deleted`.",
      ...write,
      request: { params: UuidParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 429, 503) },
    }),
    async (c) => {
      await deleteContact(serviceContext(c), c.req.valid("param").id);
      publishAfterCommit(c);
      return c.body(null, 204);
    },
  );
}
