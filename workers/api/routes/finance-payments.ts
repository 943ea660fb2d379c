import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { publishAfterCommit } from "../events/after-commit";
import { toMinorUnits } from "../finance/money";
import { returnUrlProblem } from "../finance/return-url";
import { databaseBesideRequest } from "../lib/database-beside-request";
import { ApiError } from "../lib/errors";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonBody, jsonResponse, listOf, successOf, UuidParam } from "../schemas/common";
import {
  Payment,
  PaymentInitiateInput,
  PaymentListQuery,
  PaymentRefundInput,
  PaymentWithRefund,
} from "../schemas/payment";
import type { ServiceContext } from "../services/context";
import { liveConnectorSource } from "../services/finance/live-connectors";
import { getPayment, initiatePayment, listPayments, refundPayment } from "../services/finance/payments";
import { pageBody, successBody } from "./iam-common";

const besideRequest = (c: Context<AppEnv>, ctx: ServiceContext) =>
  databaseBesideRequest(c.get("config"), ctx.db);

const connectorsOf = (c: Context<AppEnv>, ctx: ServiceContext) =>
  liveConnectorSource({
    db: besideRequest(c, ctx),
    config: c.get("config"),
    tenantId: ctx.actor.tenantId,
    ctx,
  });

/**
 * POST {initiatePath} for each initiate path (the finance one and the platform spec's
 * `/api/v1/payments/initiate`), and the reads and refund under `base` (`/api/v1/finance/payments`).
 */
export function registerPaymentRoutes(
  app: OpenAPIHono<AppEnv>,
  base: string,
  initiatePaths: readonly string[],
): void {
  const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];
  const common = { tags: ["finance"], security };

  for (const path of initiatePaths) {
    app.openapi(
      createRoute({
        ...common,
        method: "post",
        path,
        summary: "Initiate a payment (hosted checkout)",
        description:
          "Starts a hosted checkout at the provider and answers 201 with the payment in `requires_action`: send the " +
          "customer to `checkout_url`. `Idempotency-Key` is required (a retry answers the first response; another " +
          "body with the same key is 422). Without `connection_id` the region's defaults for the currency are tried " +
          "in order (NGN → Paystack, then Flutterwave; EUR → Stripe), the next one only when a provider failed before " +
          "issuing a link. A provider refusal is 400 and an unreachable provider 503; either way the attempt is kept " +
          "as a `failed` payment (`payment.failed`). Emits `payment.created`. With `invoice_id`, the invoice must be " +
          "open, in the same currency, and have no other payment in flight (409).",
        ...guardedBy("finance.payments.write"),
        ...acceptsIdempotencyKey("required"),
        request: jsonBody(PaymentInitiateInput),
        responses: {
          201: jsonResponse(successOf(Payment), "The payment, awaiting the customer at checkout_url"),
          ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
        },
      }),
      async (c) => {
        const input = c.req.valid("json");
        const config = c.get("config");
        const problem = returnUrlProblem(input.return_url, config.webhookAllowPrivateTargets);
        if (problem) throw new ApiError("VALIDATION_ERROR", problem, { field: "return_url" });
        const ctx = serviceContext(c);
        const payment = await initiatePayment(
          ctx,
          { connectors: connectorsOf(c, ctx), ledger: besideRequest(c, ctx) },
          {
            amountMinor: input.amount_minor,
            currency: input.currency,
            customerEmail: input.customer_email,
            returnUrl: input.return_url,
            invoiceId: input.invoice_id,
            connectionId: input.connection_id,
            description: input.description,
          },
        );
        publishAfterCommit(c);
        c.header("Location", `${base}/${payment.id}`);
        return c.json(successBody(payment, c.get("requestId")), 201);
      },
    );
  }

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: base,
      summary: "List payments",
      description: "Newest first, cursor pagination; filter by `status` and `invoice_id`.",
      ...guardedBy("finance.payments.read"),
      request: { query: PaymentListQuery },
      responses: {
        200: jsonResponse(listOf(Payment), "A page of payments"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listPayments(serviceContext(c), {
        limit: q.limit,
        cursor: q.cursor,
        status: q.status,
        invoiceId: q.invoice_id,
      });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${base}/{id}`,
      summary: "Get a payment",
      description: "Another tenant's id is 404.",
      ...guardedBy("finance.payments.read"),
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(Payment), "The payment"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) =>
      c.json(
        successBody(await getPayment(serviceContext(c), c.req.valid("param").id), c.get("requestId")),
        200,
      ),
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${base}/{id}/refund`,
      summary: "Refund a payment",
      description:
        "Refunds `amount` (decimal string; absent: all that is left) of a succeeded payment through its provider, " +
        "then moves it to `partially_refunded` or `refunded` with `payment.refunded`. `Idempotency-Key` is " +
        "required. 409 when the payment has not succeeded or the provider refused; 400 for an amount above what is " +
        "left.",
      ...guardedBy("finance.payments.refund"),
      ...acceptsIdempotencyKey("required"),
      request: {
        params: UuidParam,
        body: { content: { "application/json": { schema: PaymentRefundInput } }, required: false },
      },
      responses: {
        200: jsonResponse(successOf(PaymentWithRefund), "Refunded (or accepted by the provider)"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const body = (c.req.valid("json") ?? {}) as { amount?: string };
      const ctx = serviceContext(c);
      const outcome = await refundPayment(
        ctx,
        connectorsOf(c, ctx),
        c.req.valid("param").id,
        (amount, currency) => {
          const minor = toMinorUnits(amount, currency);
          if (minor === null) {
            throw new ApiError("VALIDATION_ERROR", `amount must be a decimal string in ${currency}`, {
              field: "amount",
            });
          }
          return minor;
        },
        body.amount,
      );
      publishAfterCommit(c);
      return c.json(successBody({ ...outcome.payment, refund: outcome.refund }, c.get("requestId")), 200);
    },
  );
}
