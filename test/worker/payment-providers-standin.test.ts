import { env } from "cloudflare:workers";
import Stripe from "stripe";
import { describe, expect, inject, it } from "vitest";

// Inside workerd, as the Worker's connectors will run: PAYMENT_PROVIDER_URLS is bound, and the
// official stripe package's Workers build (fetch client, SubtleCrypto) reaches the stand-in,
// and verifies the webhook its hosted checkout sends.

const urls = JSON.parse((env as unknown as { PAYMENT_PROVIDER_URLS: string }).PAYMENT_PROVIDER_URLS) as {
  stripe: string;
  paystack: string;
  flutterwave: string;
};

describe("payment providers stand-in from the Worker runtime", () => {
  it("binds each provider's base URL on the stand-in", () => {
    const root = inject("paymentProvidersUrl");
    expect(urls).toEqual({ stripe: root, paystack: `${root}/paystack`, flutterwave: `${root}/flutterwave` });
  });

  it("the stripe package in workerd creates a session; the paid session's webhook verifies with SubtleCrypto", async () => {
    const { hostname, port } = new URL(urls.stripe);
    const stripe = new Stripe(`sk_test_${crypto.randomUUID().replaceAll("-", "")}`, {
      host: hostname,
      port: Number(port),
      protocol: "http",
      httpClient: Stripe.createFetchHttpClient(),
    });
    const hook = `${inject("webhookReceiverUrl")}/hooks/standin-${crypto.randomUUID()}`;
    const { secret } = await stripe.webhookEndpoints.create({
      url: hook,
      enabled_events: ["checkout.session.completed"],
    });
    const session = await stripe.checkout.sessions.create({
      mode: "payment",
      line_items: [
        { price_data: { currency: "eur", unit_amount: 1250, product_data: { name: "INV-1" } }, quantity: 1 },
      ],
      success_url: "https://merchant.example/ok?cs={CHECKOUT_SESSION_ID}",
      client_reference_id: "attempt-1",
    });
    const paid = await fetch(session.url as string, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "outcome=pay",
      redirect: "manual",
    });
    expect(paid.status).toBe(303);
    const received = (await (await fetch(hook.replace("/hooks/", "/control/"))).json()) as {
      body: string;
      headers: Record<string, string>;
    }[];
    expect(received).toHaveLength(1);
    const event = await stripe.webhooks.constructEventAsync(
      received[0]!.body,
      received[0]!.headers["stripe-signature"]!,
      secret as string,
    );
    expect(event.type).toBe("checkout.session.completed");
    expect(event.data.object).toMatchObject({
      id: session.id,
      payment_status: "paid",
      client_reference_id: "attempt-1",
    });
  });
});
