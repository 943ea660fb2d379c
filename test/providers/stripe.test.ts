import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../support/until";
import { type Harness, startHarness, submitCheckout, testKey } from "./harness";

// The official stripe package (fetch client, SubtleCrypto webhooks, as the Worker will use it)
// against the stand-in: what it sends is accepted, what it gets back parses into its types, and
// the webhooks the checkout page sends verify with constructEventAsync.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

function client(key = testKey("sk_test_")): Stripe {
  const { port } = new URL(h.standin.url);
  return new Stripe(key, {
    host: "127.0.0.1",
    port: Number(port),
    protocol: "http",
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 0,
  });
}

async function endpoint(stripe: Stripe, name: string): Promise<string> {
  const created = await stripe.webhookEndpoints.create({
    url: h.hookUrl(name),
    enabled_events: ["checkout.session.completed", "checkout.session.expired", "charge.refunded"],
  });
  expect(created).toMatchObject({ object: "webhook_endpoint", status: "enabled", livemode: false });
  expect(created.id).toMatch(/^we_/);
  expect(created.secret).toMatch(/^whsec_[A-Za-z0-9]{32}$/);
  return created.secret as string;
}

function sessionParams(
  extra: Partial<Stripe.Checkout.SessionCreateParams> = {},
): Stripe.Checkout.SessionCreateParams {
  return {
    mode: "payment",
    line_items: [
      {
        price_data: { currency: "eur", unit_amount: 1999, product_data: { name: "Invoice INV-0042" } },
        quantity: 2,
      },
    ],
    success_url: "https://merchant.example/paid?session={CHECKOUT_SESSION_ID}",
    cancel_url: "https://merchant.example/cancelled",
    client_reference_id: "attempt_123",
    metadata: { invoice_id: "inv_42", tenant: "t_1" },
    customer_email: "payer@example.com",
    ...extra,
  };
}

async function verified(
  stripe: Stripe,
  received: { body: string; headers: Record<string, string> },
  secret: string,
) {
  return stripe.webhooks.constructEventAsync(
    received.body,
    received.headers["stripe-signature"] as string,
    secret,
    undefined,
    Stripe.createSubtleCryptoProvider(),
  );
}

describe("Stripe Checkout through the stripe package", () => {
  it("creates a session in Stripe's shape, pays it on the hosted page and sends a verifiable checkout.session.completed", async () => {
    const stripe = client();
    const secret = await endpoint(stripe, "stripe-pay");
    const session = await stripe.checkout.sessions.create(sessionParams());
    expect(session).toMatchObject({
      object: "checkout.session",
      mode: "payment",
      status: "open",
      payment_status: "unpaid",
      amount_total: 3998,
      amount_subtotal: 3998,
      currency: "eur",
      client_reference_id: "attempt_123",
      metadata: { invoice_id: "inv_42", tenant: "t_1" },
      customer_email: "payer@example.com",
      payment_intent: null,
      livemode: false,
    });
    expect(session.id).toMatch(/^cs_test_[A-Za-z0-9]{58}$/);
    expect(session.url).toBe(`${h.standin.url}/checkout/stripe/${session.id}`);
    expect(session.expires_at - session.created).toBe(24 * 3600);

    const page = await fetch(session.url as string);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain("EUR 39.98");
    expect(text).toContain('value="pay"');
    expect(text).toContain('value="fail"');

    const paid = await submitCheckout(session.url as string, "pay");
    expect(paid.status).toBe(303);
    expect(paid.headers.get("location")).toBe(`https://merchant.example/paid?session=${session.id}`);

    // The first attempt is made before the redirect: it is there already.
    const [delivery, ...others] = await h.received("stripe-pay");
    expect(others).toEqual([]);
    const event = await verified(stripe, delivery!, secret);
    expect(event).toMatchObject({
      object: "event",
      type: "checkout.session.completed",
      livemode: false,
      api_version: Stripe.API_VERSION,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
    });
    expect(event.id).toMatch(/^evt_/);
    const completed = event.data.object as Stripe.Checkout.Session;
    expect(completed).toMatchObject({
      id: session.id,
      status: "complete",
      payment_status: "paid",
      amount_total: 3998,
    });
    expect(completed.client_reference_id).toBe("attempt_123");
    // Pretty-printed, as Stripe sends it: a receiver must verify the raw bytes.
    expect(delivery!.body).toContain('\n  "id": "evt_');

    const retrieved = await stripe.checkout.sessions.retrieve(session.id);
    expect(retrieved).toMatchObject({ status: "complete", payment_status: "paid", url: null });
    const intent = await stripe.paymentIntents.retrieve(retrieved.payment_intent as string);
    const expanded = await stripe.checkout.sessions.retrieve(session.id, { expand: ["payment_intent"] });
    expect(expanded.payment_intent).toMatchObject({ id: intent.id, object: "payment_intent" });
    expect(intent).toMatchObject({
      object: "payment_intent",
      status: "succeeded",
      amount: 3998,
      amount_received: 3998,
      currency: "eur",
    });

    // A settled page cannot be paid twice.
    expect((await submitCheckout(session.url as string, "pay")).status).toBe(409);
  });

  it("Fail expires the session: checkout.session.expired, back to cancel_url", async () => {
    const stripe = client();
    const secret = await endpoint(stripe, "stripe-fail");
    const session = await stripe.checkout.sessions.create(sessionParams());
    const failed = await submitCheckout(session.url as string, "fail");
    expect(failed.status).toBe(303);
    expect(failed.headers.get("location")).toBe("https://merchant.example/cancelled");
    const [delivery] = await h.received("stripe-fail");
    const event = await verified(stripe, delivery!, secret);
    expect(event.type).toBe("checkout.session.expired");
    expect(event.data.object).toMatchObject({ id: session.id, status: "expired", payment_status: "unpaid" });
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({
      status: "expired",
      url: null,
    });
  });

  it("Fail later (a bank debit): completed unpaid, then checkout.session.async_payment_failed", async () => {
    const stripe = client();
    const { secret } = await stripe.webhookEndpoints.create({
      url: h.hookUrl("stripe-async"),
      enabled_events: ["checkout.session.completed", "checkout.session.async_payment_failed"],
    });
    const session = await stripe.checkout.sessions.create(sessionParams());
    expect(await (await fetch(session.url as string)).text()).toContain('value="fail_async"');
    const submitted = await submitCheckout(session.url as string, "fail_async");
    // The customer submitted a payment: back to success_url, though nothing is paid.
    expect(submitted.headers.get("location")).toBe(`https://merchant.example/paid?session=${session.id}`);
    const events = await Promise.all(
      (await h.received("stripe-async")).map((r) => verified(stripe, r, secret as string)),
    );
    expect(events.map((e) => [e.type, (e.data.object as Stripe.Checkout.Session).payment_status])).toEqual([
      ["checkout.session.completed", "unpaid"],
      ["checkout.session.async_payment_failed", "unpaid"],
    ]);
    const retrieved = await stripe.checkout.sessions.retrieve(session.id, { expand: ["payment_intent"] });
    expect(retrieved).toMatchObject({ status: "complete", payment_status: "unpaid" });
    expect(retrieved.payment_intent).toMatchObject({
      status: "requires_payment_method",
      last_payment_error: { code: "payment_method_provider_decline" },
    });
  });

  it("expires a session through the API, only while open", async () => {
    const stripe = client();
    const session = await stripe.checkout.sessions.create(sessionParams());
    expect(await stripe.checkout.sessions.expire(session.id)).toMatchObject({ status: "expired" });
    await expect(stripe.checkout.sessions.expire(session.id)).rejects.toMatchObject({
      type: "StripeInvalidRequestError",
      statusCode: 400,
    });
  });

  it("refunds part then the rest of a payment, with charge.refunded events, and refuses more", async () => {
    const stripe = client();
    const secret = await endpoint(stripe, "stripe-refund");
    const session = await stripe.checkout.sessions.create(sessionParams());
    await submitCheckout(session.url as string, "pay");
    const { payment_intent } = await stripe.checkout.sessions.retrieve(session.id);

    const refund = await stripe.refunds.create({ payment_intent: payment_intent as string, amount: 1000 });
    expect(refund).toMatchObject({
      object: "refund",
      amount: 1000,
      currency: "eur",
      status: "succeeded",
      payment_intent,
    });
    expect(refund.id).toMatch(/^re_/);
    await stripe.refunds.create({ payment_intent: payment_intent as string });
    // The API answers before its webhooks go out, as Stripe does; their order is not guaranteed.
    const received = await until(
      "both charge.refunded",
      5_000,
      async () => {
        const got = await h.received("stripe-refund");
        return got.length === 3 ? got : undefined;
      },
      50,
    );
    const events = (
      await Promise.all(received.slice(1).map((delivery) => verified(stripe, delivery, secret)))
    ).sort(
      (a, b) =>
        (a.data.object as Stripe.Charge).amount_refunded - (b.data.object as Stripe.Charge).amount_refunded,
    );
    expect(events.map((e) => e.type)).toEqual(["charge.refunded", "charge.refunded"]);
    expect(events.map((e) => (e.data.object as Stripe.Charge).amount_refunded)).toEqual([1000, 3998]);
    expect(events.map((e) => (e.data.object as Stripe.Charge).refunded)).toEqual([false, true]);
    expect(events[0]!.data.previous_attributes).toEqual({ amount_refunded: 0, refunded: false });
    expect(events[0]!.request?.id).toMatch(/^req_/);

    await expect(stripe.refunds.create({ payment_intent: payment_intent as string })).rejects.toMatchObject({
      type: "StripeInvalidRequestError",
      statusCode: 400,
      code: "charge_already_refunded",
    });
  });

  it("replays a request sent again with the same Idempotency-Key, and refuses the key with other parameters", async () => {
    const stripe = client();
    const first = await stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "attempt-42" });
    const again = await stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "attempt-42" });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.idempotencyKey).toBe("attempt-42");
    // The replay is marked as on Stripe: the same form body sent twice by hand.
    const key = testKey("sk_test_");
    const post = () =>
      fetch(`${h.standin.url}/v1/webhook_endpoints`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${key}`,
          "idempotency-key": "endpoint-1",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "url=https%3A%2F%2Fmerchant.example%2Fhook&enabled_events[0]=*",
      });
    const original = await post();
    const replay = await post();
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(((await replay.json()) as { id: string }).id).toBe(((await original.json()) as { id: string }).id);
    await expect(
      stripe.checkout.sessions.create(sessionParams({ client_reference_id: "other" }), {
        idempotencyKey: "attempt-42",
      }),
    ).rejects.toMatchObject({ type: "StripeIdempotencyError", statusCode: 400 });
    // Sent at once with one key (a retry racing the original): one session.
    const racing = await Promise.all(
      Array.from({ length: 5 }, () =>
        stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: "attempt-43" }),
      ),
    );
    expect(new Set(racing.map((session) => session.id)).size).toBe(1);
    // Without a caller key stripe-node still sends its own per call: two calls, two sessions.
    const third = await stripe.checkout.sessions.create(sessionParams());
    const fourth = await stripe.checkout.sessions.create(sessionParams());
    expect(new Set([first.id, third.id, fourth.id]).size).toBe(3);
    expect(fourth.id).not.toBe(third.id);
  });

  it("answers authentication and request errors in Stripe's error shape", async () => {
    const noKey = await fetch(`${h.standin.url}/v1/checkout/sessions/cs_test_x`);
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({
      error: {
        type: "invalid_request_error",
        message: expect.stringContaining("You did not provide an API key"),
      },
    });
    await expect(
      client("sk_live_abcdefghijkl").checkout.sessions.create(sessionParams()),
    ).rejects.toMatchObject({
      type: "StripeAuthenticationError",
      statusCode: 401,
    });
    // Basic auth with the key as user name is accepted too, as on Stripe.
    const basic = await fetch(`${h.standin.url}/v1/webhook_endpoints`, {
      headers: { authorization: `Basic ${Buffer.from(`${testKey("sk_test_")}:`).toString("base64")}` },
    });
    expect(basic.status).toBe(200);

    const owner = client();
    const session = await owner.checkout.sessions.create(sessionParams());
    // Another account's key: the session does not exist for it.
    await expect(client().checkout.sessions.retrieve(session.id)).rejects.toMatchObject({
      type: "StripeInvalidRequestError",
      statusCode: 404,
      code: "resource_missing",
    });
    await expect(
      owner.checkout.sessions.create({ ...sessionParams(), line_items: undefined } as never),
    ).rejects.toMatchObject({ statusCode: 400, code: "parameter_missing", param: "line_items" });
    const badAmount = sessionParams();
    (badAmount.line_items![0]!.price_data as { unit_amount: unknown }).unit_amount = "12.5";
    await expect(owner.checkout.sessions.create(badAmount)).rejects.toMatchObject({
      statusCode: 400,
      code: "parameter_invalid_integer",
      param: "line_items[0][price_data][unit_amount]",
    });
  });

  it("retries a failed delivery with backoff and records every attempt", async () => {
    const stripe = client();
    const secret = await endpoint(stripe, "stripe-retry");
    await h.failNext("stripe-retry", 2);
    const session = await stripe.checkout.sessions.create(sessionParams());
    await submitCheckout(session.url as string, "pay");
    const received = await until(
      "third attempt",
      5_000,
      async () => {
        const got = await h.received("stripe-retry");
        return got.length >= 3 ? got : undefined;
      },
      50,
    );
    expect(received.map((r) => r.status)).toEqual([500, 500, 200]);
    // Each attempt is signed afresh and verifies; all carry the same event.
    const events = await Promise.all(received.map((r) => verified(stripe, r, secret)));
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    const [delivery] = await h.deliveries({
      provider: "stripe",
      reference: session.id,
      type: "checkout.session.completed",
    });
    expect(delivery).toMatchObject({ delivered: true, url: h.hookUrl("stripe-retry") });
    expect(delivery!.attempts.map((a) => [a.kind, a.status])).toEqual([
      ["initial", 500],
      ["retry", 500],
      ["retry", 200],
    ]);
  });

  it("re-delivers one event N times, sequentially and concurrently, each signature valid", async () => {
    const stripe = client();
    const secret = await endpoint(stripe, "stripe-redeliver");
    const session = await stripe.checkout.sessions.create(sessionParams());
    await submitCheckout(session.url as string, "pay");
    const [delivery] = await h.deliveries({ reference: session.id, type: "checkout.session.completed" });

    const redeliver = async (body: unknown) => {
      const response = await fetch(`${h.standin.url}/__standin/webhooks/${delivery!.id}/redeliver`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { data: { status: number }[] }).data;
    };
    expect((await redeliver({ times: 3 })).map((a) => a.status)).toEqual([200, 200, 200]);
    expect((await redeliver({ times: 5, concurrent: true })).map((a) => a.status)).toEqual([
      200, 200, 200, 200, 200,
    ]);

    const received = await h.received("stripe-redeliver");
    expect(received).toHaveLength(9);
    const events = await Promise.all(received.map((r) => verified(stripe, r, secret)));
    expect(new Set(events.map((e) => e.id))).toEqual(new Set([delivery!.event_id]));
  });
});
