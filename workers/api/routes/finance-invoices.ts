import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { guardedBy, guardedByAll } from "../auth/permissions";
import { publishAfterCommit } from "../events/after-commit";
import {
  EINVOICE_TRANSMITTERS,
  EInvoiceRejected,
  type EInvoiceTransmitter,
} from "../finance/einvoice-transmitter";
import { invoicePdfEtag } from "../finance/pdf/invoice-pdf-etag";
import { renderInvoicePdf } from "../finance/pdf/render-invoice-pdf";
import { returnUrlProblem } from "../finance/return-url";
import { databaseBesideRequest } from "../lib/database-beside-request";
import { rawSuccess } from "../lib/envelope";
import { ApiError } from "../lib/errors";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { preRenderedJson, preRenderedPage } from "../lib/pre-rendered";
import { requestTransaction } from "../lib/request-transaction";
import { serviceContext } from "../lib/service-context";
import { injectedFault } from "../lib/test-faults";
import { errorResponses, jsonBody, jsonResponse, listOf, successOf, UuidParam } from "../schemas/common";
import { Invoice, InvoiceInput, InvoiceListItem, InvoiceListQuery, InvoicePatch } from "../schemas/invoice";
import { InvoicePayInput } from "../schemas/invoice-payment";
import { Payment } from "../schemas/payment";
import {
  finalizeInvoice,
  MARK_UNCOLLECTIBLE,
  transitionInvoice,
  VOID,
} from "../services/finance/invoice-lifecycle";
import { payInvoice } from "../services/finance/invoice-payment";
import { invoicePdfInput } from "../services/finance/invoice-pdf";
import {
  createInvoice,
  deleteInvoice,
  getInvoice,
  listInvoices,
  updateInvoice,
} from "../services/finance/invoices";
import { liveConnectorSource } from "../services/finance/live-connectors";
import { successBody } from "./iam-common";

const InvoicePage = listOf(InvoiceListItem);
const InvoiceItem = successOf(Invoice);
type InvoicePage = z.infer<typeof InvoicePage>;
type InvoiceItem = z.infer<typeof InvoiceItem>;

/**
 * Test deployments: make the e-invoice transmitter refuse (`einvoice:reject`, as an authority
 * would: 409), fail (`einvoice:fail`: 503), or clear with a stamp (`einvoice:clear`), so tests
 * can show a failed finalize gives its number back and a cleared one stores the fields.
 */
const FAULTS = ["einvoice:reject", "einvoice:fail", "einvoice:clear"] as const;

function transmitterOf(c: Context<AppEnv>): EInvoiceTransmitter {
  const configured = EINVOICE_TRANSMITTERS[c.get("config").einvoiceTransmitter];
  const fault = injectedFault(c, FAULTS);
  if (fault === undefined) return configured;
  return {
    name: `test:${fault}`,
    transmit: async (invoice) => {
      if (fault === "einvoice:reject") throw new EInvoiceRejected("the buyer's TIN is not registered (test)");
      if (fault === "einvoice:fail") throw new Error("access point unreachable (test)");
      return {
        clearance_status: "cleared",
        irn: `${invoice.number}-TEST0001-${invoice.issue_date?.replaceAll("-", "")}`,
        csid: "CSID-TEST-0001",
        qr: `https://einvoice.test/verify?irn=${invoice.number}`,
      };
    },
  };
}

/** Whether `If-None-Match` names `etag` (a list, `*`, weak or strong: RFC 9110's weak comparison). */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || bare(tag) === bare(etag));
}

const STATES =
  "Statuses: `draft` (editable, no number) → `open` (finalize: numbered) → `partially_paid` | `paid` " +
  "(by payments); `open` | `uncollectible` → `void` (keeps its number); `open` | `partially_paid` → " +
  "`uncollectible` → `paid`.";

/**
 * Invoices under `/api/v1/finance/invoices`, and the platform spec's `/api/v1/invoices` by the
 * same handlers (registered once per base path).
 */
export function registerInvoiceRoutes(app: OpenAPIHono<AppEnv>, base: string, alias = false): void {
  const tags = [alias ? "finance (platform paths)" : "finance"];
  const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];
  const common = { tags, security };
  const read = guardedBy("finance.invoices.read");
  const write = guardedBy("finance.invoices.write");
  const item = `${base}/{id}`;

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: base,
      summary: "Create a draft invoice",
      description:
        "A draft: no number yet, editable. Each line's `net_amount` = round(quantity × unit_price − discount) and " +
        "`tax_amount` = round(net_amount × tax_rate / 100), to the currency's decimals (half away from zero), " +
        "computed by Postgres in numeric with the invoice's totals and per-rate `tax_breakdown`, never in floating " +
        "point. `customer` is `{contact_id}` (a contact of the tenant: its name and email are copied now and again " +
        "at finalize; another tenant's or a missing contact is 400 on `customer.contact_id`) or inline " +
        "`{name, email, address?, tax_id?}`. Amounts with more decimals than the currency has are 400 naming the " +
        "line's field. Emits `invoice.created`.",
      ...write,
      ...acceptsIdempotencyKey(),
      request: { body: { content: { "application/json": { schema: InvoiceInput } }, required: true } },
      responses: {
        201: jsonResponse(InvoiceItem, "Created (a draft)"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const created = await createInvoice(serviceContext(c), c.req.valid("json"));
      publishAfterCommit(c);
      c.header("Location", `${base}/${created.id}`);
      return preRenderedJson<InvoiceItem, 201>(c, rawSuccess(created.json, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: base,
      summary: "List invoices",
      description: `Newest first, cursor pagination; \`status\` filters. Items come without their lines (read one invoice for them). ${STATES}`,
      ...read,
      request: { query: InvoiceListQuery },
      responses: {
        200: jsonResponse(InvoicePage, "A page of invoices"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listInvoices(serviceContext(c), {
        limit: q.limit,
        cursor: q.cursor,
        status: q.status,
      });
      return preRenderedPage<InvoicePage>(c, page, q.limit);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: item,
      summary: "Get an invoice",
      description: "With its lines, totals, per-rate tax and e-invoice fields. Another tenant's id is 404.",
      ...read,
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(InvoiceItem, "The invoice"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const json = await getInvoice(serviceContext(c), c.req.valid("param").id);
      return preRenderedJson<InvoiceItem, 200>(c, rawSuccess(json, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "patch",
      path: item,
      summary: "Change a draft invoice",
      description:
        "Only a draft (409 otherwise: a finalized invoice is voided and issued anew). Changes the fields given; " +
        "`lines` replaces every line and the totals are computed again; `customer` replaces the customer. " +
        "The currency is fixed. Bumps `revision`. Emits `invoice.updated`.",
      ...write,
      request: {
        params: UuidParam,
        body: { content: { "application/json": { schema: InvoicePatch } }, required: true },
      },
      responses: {
        200: jsonResponse(InvoiceItem, "Changed"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const json = await updateInvoice(serviceContext(c), c.req.valid("param").id, c.req.valid("json"));
      publishAfterCommit(c);
      return preRenderedJson<InvoiceItem, 200>(c, rawSuccess(json, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "delete",
      path: item,
      summary: "Delete a draft invoice",
      description:
        "Soft delete of a draft, which never had a number (409 for any other status: void those). Emits `invoice.deleted`.",
      ...write,
      request: { params: UuidParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 409, 429, 503) },
    }),
    async (c) => {
      await deleteInvoice(serviceContext(c), c.req.valid("param").id);
      publishAfterCommit(c);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${item}/finalize`,
      summary: "Finalize a draft invoice",
      description:
        "draft → open, in one transaction: the invoice takes the next number of its series, gapless and never " +
        "shared (`{series}-{n}`, n zero-padded to 6 digits: `INV-000042`; concurrent finalizes wait for each other " +
        "on the series, and one that fails gives its number back); `issue_date` is today's UTC date; `supplier` is " +
        "fixed (the tenant's name and billing details); a contact customer's name and email are copied again; the " +
        "e-invoice transmitter is asked for clearance and its IRN, CSID and QR are stored in `einvoice`. A refusal " +
        "by the clearance is 409, its failure 503, and the invoice stays a draft. An invoice with nothing due is " +
        "`paid` at once. Emits `invoice.finalized` (and `invoice.paid` then).",
      ...write,
      ...acceptsIdempotencyKey(),
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(InvoiceItem, "Finalized"),
        ...errorResponses(400, 401, 403, 404, 409, 422, 429, 503),
      },
    }),
    async (c) => {
      const json = await finalizeInvoice(
        serviceContext(c),
        { transaction: requestTransaction(c), transmitter: transmitterOf(c) },
        c.req.valid("param").id,
      );
      publishAfterCommit(c);
      return preRenderedJson<InvoiceItem, 200>(c, rawSuccess(json, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${item}/pdf`,
      summary: "Get an invoice as PDF",
      description:
        "The invoice rendered in the Worker (A4, embedded Noto Sans: ₦, €, French spacing and Yoruba tone marks " +
        "print as written): supplier and customer, number (or Draft), dates, the lines over as many pages as they " +
        "need, tax per rate, totals, amount due, and the e-invoice IRN and QR code once cleared. `ETag` is a hash of " +
        "what the page shows, so it changes with every revision of the invoice; send it back in `If-None-Match` " +
        "for a 304 without a render. `Cache-Control: private, no-cache`: a browser may keep it and revalidates it; " +
        "no shared cache may. Not stored server-side: an edge cache would hold the customer's data outside the " +
        "tenant's region.",
      ...read,
      request: { params: UuidParam },
      responses: {
        200: {
          description: "The PDF",
          headers: {
            ETag: { schema: { type: "string" }, description: "Strong validator of this revision's PDF." },
          },
          content: { "application/pdf": { schema: z.string().openapi({ format: "binary" }) } },
        },
        304: { description: "Not modified: the `If-None-Match` ETag is current" },
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const { view, number } = await invoicePdfInput(serviceContext(c), c.req.valid("param").id);
      const etag = await invoicePdfEtag(view);
      c.header("ETag", etag);
      c.header("Cache-Control", "private, no-cache");
      // The answer differs per caller's tenant and rights: never one cached entry for all.
      c.header("Vary", "Authorization, X-API-Key");
      if (matchesEtag(c.req.header("If-None-Match"), etag)) return c.body(null, 304);
      const pdf = await renderInvoicePdf(view);
      c.header("Content-Disposition", `inline; filename="${number ?? "draft"}.pdf"`);
      return c.body(pdf, 200, { "Content-Type": "application/pdf" });
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${item}/pay`,
      summary: "Pay an invoice (hosted checkout)",
      description:
        "Initiates a payment of the invoice's `amount_due` in its currency, exactly as `POST /api/v1/payments/initiate` " +
        "with `invoice_id` does (same connection choice, same answer: 201 with the payment in `requires_action` and " +
        'its `checkout_url`): the customer\'s email unless `customer_email` is given, "Invoice INV-…" at the ' +
        "checkout. When the provider confirms the payment, the invoice turns `paid` with `invoice.paid`. Only an " +
        "open, partially paid or uncollectible invoice with something due (409 otherwise), one payment in flight " +
        "at a time (409). `Idempotency-Key` is required. Needs `finance.payments.write` and `finance.invoices.read`.",
      ...guardedByAll("finance.payments.write", "finance.invoices.read"),
      ...acceptsIdempotencyKey("required"),
      request: { params: UuidParam, ...jsonBody(InvoicePayInput) },
      responses: {
        201: jsonResponse(successOf(Payment), "The payment, awaiting the customer at checkout_url"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const config = c.get("config");
      const problem = returnUrlProblem(input.return_url, config.webhookAllowPrivateTargets);
      if (problem) throw new ApiError("VALIDATION_ERROR", problem, { field: "return_url" });
      const ctx = serviceContext(c);
      const ledger = databaseBesideRequest(config, ctx.db);
      const connectors = liveConnectorSource({ db: ledger, config, tenantId: ctx.actor.tenantId, ctx });
      const payment = await payInvoice(ctx, { connectors, ledger }, c.req.valid("param").id, input);
      publishAfterCommit(c);
      c.header("Location", `/api/v1/finance/payments/${payment.id}`);
      return c.json(successBody(payment, c.get("requestId")), 201);
    },
  );

  for (const [action, transition, permission, summary, description] of [
    [
      "void",
      VOID,
      guardedBy("finance.invoices.void"),
      "Void an invoice",
      "open | uncollectible → void: nothing more is owed. It keeps its number (the series stays gapless); a " +
        "draft is deleted instead, and an invoice with payments is refunded, not voided (409). Needs " +
        "`finance.invoices.void` (not a Member's). Emits `invoice.voided`.",
    ],
    [
      "mark-uncollectible",
      MARK_UNCOLLECTIBLE,
      write,
      "Mark an invoice uncollectible",
      "open | partially_paid → uncollectible: written off, yet a payment can still settle it (→ paid). 409 from " +
        "any other status. Emits `invoice.marked_uncollectible`.",
    ],
  ] as const) {
    app.openapi(
      createRoute({
        ...common,
        method: "post",
        path: `${item}/${action}`,
        summary,
        description,
        ...permission,
        ...acceptsIdempotencyKey(),
        request: { params: UuidParam },
        responses: {
          200: jsonResponse(InvoiceItem, "Moved"),
          ...errorResponses(400, 401, 403, 404, 409, 422, 429, 503),
        },
      }),
      async (c) => {
        const json = await transitionInvoice(serviceContext(c), c.req.valid("param").id, transition);
        publishAfterCommit(c);
        return preRenderedJson<InvoiceItem, 200>(c, rawSuccess(json, c.get("requestId")), 200);
      },
    );
  }
}
