import { createServer } from "node:http";
import { z } from "zod";
import { listen } from "../lib/node-service";
import { createCheckoutPages } from "./checkout-page";
import { createControls } from "./controls";
import { createFlutterwaveStandIn } from "./flutterwave-api";
import { BodyTooLargeError, json, type Reply, readBody, send } from "./http-io";
import { createPaystackStandIn } from "./paystack-api";
import type { RequestContext } from "./routing";
import { createStripeStandIn } from "./stripe-api";
import { stripeErrorReply } from "./stripe-errors";
import { createWebhookDeliveries } from "./webhook-deliveries";

// A local stand-in for Stripe, Paystack and Flutterwave on one port, speaking each provider's wire
// format for the calls Nexus Edge makes (see README.md): Stripe at the root (/v1/…), Paystack under
// /paystack, Flutterwave under /flutterwave, hosted checkout pages under /checkout, controls under
// /__standin. Everything is in memory.

export interface PaymentProvidersServer {
  url: string;
  port: number;
  /** The PAYMENT_PROVIDER_URLS value for a Worker: each provider's API base on this server. */
  providerUrls: { stripe: string; paystack: string; flutterwave: string };
  close(): Promise<void>;
}

export interface PaymentProvidersOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Delays before webhook retries (default 500, 1000, 2000 ms: four attempts in all). */
  retryDelaysMs?: number[];
  /** One webhook attempt's timeout (default 10 s). */
  webhookTimeoutMs?: number;
  log?: (line: Record<string, unknown>) => void;
}

const optionsSchema = z.object({
  port: z.number().int().min(0).max(65_535).default(0),
  host: z.string().min(1).default("127.0.0.1"),
  retryDelaysMs: z.array(z.number().int().min(0).max(60_000)).max(10).default([500, 1000, 2000]),
  webhookTimeoutMs: z.number().int().min(100).max(60_000).default(10_000),
});

const MAX_BODY_BYTES = 1024 * 1024;
const CLOSE_GRACE_MS = 2_000;

/** Builds each provider's API base from the stand-in's root URL (also used by the test configs). */
export function providerUrlsFor(url: string): PaymentProvidersServer["providerUrls"] {
  return { stripe: url, paystack: `${url}/paystack`, flutterwave: `${url}/flutterwave` };
}

export async function startPaymentProviders(
  options: PaymentProvidersOptions = {},
): Promise<PaymentProvidersServer> {
  const config = optionsSchema.parse(options);
  const log = (line: Record<string, unknown>) => {
    try {
      options.log?.(line);
    } catch {}
  };
  let origin = "";
  const deliveries = createWebhookDeliveries({
    retryDelaysMs: config.retryDelaysMs,
    timeoutMs: config.webhookTimeoutMs,
    log,
  });
  const shared = { origin: () => origin, deliveries };
  const stripe = createStripeStandIn(shared);
  const paystack = createPaystackStandIn(shared);
  const flutterwave = createFlutterwaveStandIn(shared);
  const pages = createCheckoutPages({
    stripe: stripe.checkout,
    paystack: paystack.checkout,
    flutterwave: flutterwave.checkout,
  });
  const controls = createControls({
    deliveries,
    setPaystackWebhook: paystack.setWebhook,
    setFlutterwaveWebhook: flutterwave.setWebhook,
    disputeStripePayment: stripe.dispute,
    reset() {
      deliveries.reset();
      stripe.reset();
      paystack.reset();
      flutterwave.reset();
    },
  });

  async function dispatch(ctx: RequestContext): Promise<Reply> {
    const { path } = ctx;
    if (path === "/health") return json(200, { status: "ok" });
    if (path.startsWith("/v1/")) return stripe.handle(ctx);
    if (path === "/paystack" || path.startsWith("/paystack/")) return paystack.handle(ctx);
    if (path === "/flutterwave" || path.startsWith("/flutterwave/")) return flutterwave.handle(ctx);
    if (path.startsWith("/__standin/")) return controls(ctx);
    return (await pages(ctx)) ?? json(404, { error: `unknown path ${path}` });
  }

  const server = createServer((req, res) => {
    void (async () => {
      const rawUrl = new URL(req.url ?? "/", "http://stand-in");
      const method = req.method ?? "GET";
      let reply: Reply;
      try {
        const body =
          method === "GET" || method === "HEAD" ? Buffer.alloc(0) : await readBody(req, MAX_BODY_BYTES);
        reply = await dispatch({
          method,
          path: rawUrl.pathname,
          query: rawUrl.searchParams,
          headers: req.headers,
          params: {},
          body,
        });
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          reply = rawUrl.pathname.startsWith("/v1/")
            ? stripeErrorReply(413, { type: "invalid_request_error", message: error.message })
            : json(413, { status: false, message: error.message });
        } else {
          log({ level: "error", event: "internal_error", error: (error as Error)?.stack ?? String(error) });
          reply = rawUrl.pathname.startsWith("/v1/")
            ? stripeErrorReply(500, { type: "api_error", message: "An unknown error occurred" })
            : json(500, { status: "error", message: "internal error in the payment stand-in" });
        }
      }
      send(res, reply);
      if (reply.status >= 400) {
        log({
          level: reply.status >= 500 ? "error" : "info",
          event: "request",
          method,
          path: rawUrl.pathname,
          status: reply.status,
        });
      }
    })();
  });

  const address = await listen(server, config.port, config.host);
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  origin = `http://${urlHost}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url: origin,
    port: address.port,
    providerUrls: providerUrlsFor(origin),
    close() {
      closing ??= (async () => {
        stripe.close();
        await deliveries.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        await closed;
        clearTimeout(force);
      })();
      return closing;
    },
  };
}
