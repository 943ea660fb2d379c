import { z } from "zod";
import { json, type Reply } from "./http-io";
import { parseJson } from "./json-body";
import { type Handler, match, type RequestContext, type Route, route } from "./routing";
import type { WebhookDeliveries } from "./webhook-deliveries";

// Test and development controls under /__standin (no auth: the stand-in listens on loopback).
// They stand for what a provider's dashboard does (where webhooks go) and let tests inspect,
// re-deliver and reset.

const redeliverSchema = z.object({
  times: z.number().int().min(1).max(100).default(1),
  concurrent: z.boolean().default(false),
});
const paystackWebhookSchema = z.object({ secret_key: z.string().min(1), url: z.url().nullable() });
const flutterwaveWebhookSchema = z.object({
  secret_key: z.string().min(1),
  url: z.url().nullable(),
  secret_hash: z.string().min(1).max(200),
});

export interface ControlTargets {
  deliveries: WebhookDeliveries;
  setPaystackWebhook(secretKey: string, url: string | null): void;
  setFlutterwaveWebhook(secretKey: string, webhook: { url: string; secretHash: string } | null): void;
  disputeStripePayment(paymentIntentId: string): Promise<unknown | undefined>;
  reset(): void;
}

function body<T>(
  schema: z.ZodType<T>,
  ctx: RequestContext,
): { ok: true; value: T } | { ok: false; reply: Reply } {
  const parsed = parseJson(ctx.body);
  if (!parsed.ok) return { ok: false, reply: json(400, { error: "body is not JSON" }) };
  const result = schema.safeParse(parsed.value);
  if (!result.success) return { ok: false, reply: json(400, { error: z.prettifyError(result.error) }) };
  return { ok: true, value: result.data };
}

export function createControls(targets: ControlTargets) {
  const routes: Route<Handler>[] = [
    route("GET", "/__standin/webhooks", (ctx: RequestContext) =>
      json(200, {
        data: targets.deliveries.list({
          provider: ctx.query.get("provider"),
          type: ctx.query.get("type"),
          reference: ctx.query.get("reference"),
          eventId: ctx.query.get("event_id"),
        }),
      }),
    ),
    route("GET", "/__standin/webhooks/:id", (ctx: RequestContext) => {
      const delivery = targets.deliveries.get(ctx.params.id ?? "");
      return delivery ? json(200, delivery) : json(404, { error: "no such delivery" });
    }),
    route("POST", "/__standin/webhooks/:id/redeliver", async (ctx: RequestContext) => {
      const delivery = targets.deliveries.get(ctx.params.id ?? "");
      if (!delivery) return json(404, { error: "no such delivery" });
      if (!delivery.url) return json(409, { error: "this event had no webhook URL to deliver to" });
      const input = body(redeliverSchema, ctx);
      if (!input.ok) return input.reply;
      const attempts = await targets.deliveries.redeliver(
        delivery.id,
        input.value.times,
        input.value.concurrent,
      );
      return json(200, {
        data: attempts.map(({ status, error, at, duration_ms }) => ({ status, error, at, duration_ms })),
      });
    }),
    route("PUT", "/__standin/paystack/webhook", (ctx: RequestContext) => {
      const input = body(paystackWebhookSchema, ctx);
      if (!input.ok) return input.reply;
      targets.setPaystackWebhook(input.value.secret_key, input.value.url);
      return json(200, { url: input.value.url });
    }),
    route("PUT", "/__standin/flutterwave/webhook", (ctx: RequestContext) => {
      const input = body(flutterwaveWebhookSchema, ctx);
      if (!input.ok) return input.reply;
      const { url, secret_hash } = input.value;
      targets.setFlutterwaveWebhook(input.value.secret_key, url ? { url, secretHash: secret_hash } : null);
      return json(200, { url });
    }),
    // What a cardholder's bank does: opens a dispute on the intent's charge (charge.dispute.created).
    route("POST", "/__standin/stripe/payment_intents/:id/dispute", async (ctx: RequestContext) => {
      const opened = await targets.disputeStripePayment(ctx.params.id ?? "");
      return opened ? json(200, opened) : json(404, { error: "no charged PaymentIntent with this id" });
    }),
    route("POST", "/__standin/reset", () => {
      targets.reset();
      return json(200, { reset: true });
    }),
  ];
  return async function handle(ctx: RequestContext): Promise<Reply> {
    const found = match(routes, ctx.method, ctx.path);
    if (!found) return json(404, { error: `no control ${ctx.method} ${ctx.path}` });
    return found.route.handler({ ...ctx, params: found.params });
  };
}
