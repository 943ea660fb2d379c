import { env } from "cloudflare:test";
import Stripe from "stripe";
import { describe, expect, inject, it } from "vitest";
import { loadConfig } from "../../workers/api/env";
import type { PaymentConnector } from "../../workers/api/finance/connectors/connector";
import { connectorOptions, connectorWith } from "../../workers/api/finance/connectors/connector-for";
import { ApiError } from "../../workers/api/lib/errors";
import { flutterwaveHash, flutterwaveKey, paystackKey, stripeKey } from "./finance-connection-helpers";

// The connectors' HTTP calls (initiate, verify, refund) against the provider stand-in
// (regions/payment-providers/, bound as PAYMENT_PROVIDER_URLS), each through the hosted checkout
// page as a customer would use it: a form POST of Pay or Fail. Every test uses keys of its own,
// which the stand-in treats as separate accounts.

const config = loadConfig(env);
const standin = inject("paymentProvidersUrl");
const receiver = inject("webhookReceiverUrl");

type Provider = "stripe" | "paystack" | "flutterwave";

function connectorFor(
  provider: Provider,
  secretKey: string,
  webhookSecrets: string[] = [],
): PaymentConnector {
  return connectorWith(provider, { secretKey, webhookSecrets }, connectorOptions(config, provider));
}

const keyFor = (provider: Provider) =>
  provider === "stripe" ? stripeKey() : provider === "paystack" ? paystackKey() : flutterwaveKey();

function request(amountMinor: bigint, currency: string) {
  const paymentId = crypto.randomUUID();
  return {
    paymentId,
    reference: `nx-${paymentId.replaceAll("-", "")}`,
    amountMinor,
    currency,
    customerEmail: "ada@shop.example",
    returnUrl: "https://shop.example/paid",
    description: "Invoice INV-000042",
  };
}

/** The customer on the hosted page: GET shows the amount, a form POST settles it. */
async function checkout(
  url: string,
  outcome: "pay" | "fail",
): Promise<{ page: string; location: string | null }> {
  const page = await (await fetch(url)).text();
  const settled = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `outcome=${outcome}`,
    redirect: "manual",
  });
  expect(settled.status).toBe(303);
  await settled.body?.cancel();
  return { page, location: settled.headers.get("location") };
}

async function standinDeliveries(query: Record<string, string>) {
  const res = await fetch(`${standin}/__standin/webhooks?${new URLSearchParams(query)}`);
  return (
    (await res.json()) as {
      data: { event_id: string; type: string; body: string; headers: Record<string, string> }[];
    }
  ).data;
}

const cases: { provider: Provider; currency: string; amount: bigint; failed: string; shown: string }[] = [
  { provider: "stripe", currency: "EUR", amount: 1999n, failed: "expired", shown: "19.99" },
  { provider: "paystack", currency: "NGN", amount: 500000n, failed: "failed", shown: "5000.00" },
  { provider: "flutterwave", currency: "NGN", amount: 125010n, failed: "failed", shown: "1250.10" },
];

describe.each(cases)(
  "$provider connector against the stand-in",
  ({ provider, currency, amount, failed, shown }) => {
    it("initiate → Pay on the hosted page → verify says succeeded, with the exact amount and currency", async () => {
      const connector = connectorFor(provider, keyFor(provider));
      const req = request(amount, currency);
      const started = await connector.initiate(req);
      expect(started.checkoutUrl.startsWith(standin)).toBe(true);
      if (provider === "stripe") expect(started.providerReference).toMatch(/^cs_test_/);
      else expect(started.providerReference).toBe(req.reference);

      const before = await connector.verify({ providerReference: started.providerReference });
      expect(before.status).toBe("requires_action");

      const { page, location } = await checkout(started.checkoutUrl, "pay");
      expect(page).toContain(shown);
      expect(location?.startsWith(req.returnUrl)).toBe(true);

      const after = await connector.verify({ providerReference: started.providerReference });
      expect(after).toMatchObject({
        status: "succeeded",
        providerReference: started.providerReference,
        amountMinor: amount,
        currency,
      });
      expect(after.providerPaymentId).toBeTruthy();
    });

    it(`initiate → Fail on the hosted page → verify says ${failed}`, async () => {
      const connector = connectorFor(provider, keyFor(provider));
      const started = await connector.initiate(request(amount, currency));
      await checkout(started.checkoutUrl, "fail");
      const after = await connector.verify({ providerReference: started.providerReference });
      expect(after.status).toBe(failed);
    });

    it("refunds part, then the rest: verify follows (Stripe partially_refunded → refunded; Paystack reversed)", async () => {
      const connector = connectorFor(provider, keyFor(provider));
      const started = await connector.initiate(request(amount, currency));
      await checkout(started.checkoutUrl, "pay");
      const paid = await connector.verify({ providerReference: started.providerReference });
      const ref = { providerReference: started.providerReference, providerPaymentId: paid.providerPaymentId };
      const part = await connector.refund(ref, 10n, { idempotencyKey: crypto.randomUUID() });
      expect(part.providerRefundId).toBeTruthy();
      expect(["succeeded", "pending"]).toContain(part.status);
      if (provider === "stripe") {
        expect((await connector.verify(ref)).status).toBe("partially_refunded");
        expect((await connector.verify(ref)).amountRefundedMinor).toBe(10n);
      }
      await connector.refund(ref, amount - 10n, { idempotencyKey: crypto.randomUUID() });
      const after = await connector.verify(ref);
      if (provider !== "flutterwave") expect(after.status).toBe("refunded");
    });

    it("a key the provider refuses is a 400 with the provider's message; an unreachable provider a 503 with Retry-After", async () => {
      const live =
        provider === "flutterwave"
          ? flutterwaveKey("live")
          : `sk_live_${crypto.randomUUID().replaceAll("-", "")}`;
      const refused = await connectorFor(provider, live)
        .initiate(request(amount, currency))
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ApiError);
      expect((refused as ApiError).status).toBe(400);
      expect(
        (refused as ApiError).message.startsWith(
          provider === "stripe" ? "Stripe: " : provider === "paystack" ? "Paystack: " : "Flutterwave: ",
        ),
      ).toBe(true);
      expect((refused as ApiError).message).not.toContain("{");

      const down = connectorWith(
        provider,
        { secretKey: keyFor(provider), webhookSecrets: [] },
        { baseUrl: "http://127.0.0.1:9", timeoutMs: 2000 },
      );
      const unreachable = await down.verify({ providerReference: "nx_missing" }).catch((e: unknown) => e);
      expect(unreachable).toBeInstanceOf(ApiError);
      expect((unreachable as ApiError).status).toBe(503);
      expect((unreachable as ApiError).headers["Retry-After"]).toMatch(/^\d+$/);
    });
  },
);

describe("Stripe's delayed methods", () => {
  it("a bank debit that fails after the checkout completed: verify says failed, with Stripe's error", async () => {
    const connector = connectorFor("stripe", stripeKey());
    const started = await connector.initiate(request(5000n, "EUR"));
    const settled = await fetch(started.checkoutUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "outcome=fail_async",
      redirect: "manual",
    });
    expect(settled.status).toBe(303);
    const after = await connector.verify({ providerReference: started.providerReference });
    expect(after.status).toBe("failed");
    expect(after.failureCode ?? after.failureMessage).toBeTruthy();
  });
});

describe("provider webhooks from the stand-in verify with the connectors", () => {
  it("Stripe: the checkout.session.completed it sends verifies with the endpoint's whsec_ and names the session", async () => {
    const key = stripeKey();
    const { hostname, port } = new URL(standin);
    const stripe = new Stripe(key, {
      host: hostname,
      port: Number(port),
      protocol: "http",
      httpClient: Stripe.createFetchHttpClient(),
    });
    const { secret } = await stripe.webhookEndpoints.create({
      url: `${receiver}/hooks/connectors-${crypto.randomUUID()}`,
      enabled_events: ["checkout.session.completed"],
    });
    const connector = connectorFor("stripe", key, [secret as string]);
    const req = request(4200n, "EUR");
    const started = await connector.initiate(req);
    await checkout(started.checkoutUrl, "pay");
    const [delivery] = await standinDeliveries({
      provider: "stripe",
      type: "checkout.session.completed",
      reference: started.providerReference,
    });
    expect(delivery).toBeDefined();
    const result = await connector.parseWebhook(
      new TextEncoder().encode(delivery!.body),
      new Headers(delivery!.headers),
      new Date(),
    );
    expect(result).toMatchObject({
      verified: true,
      event: {
        eventKey: delivery!.event_id,
        eventType: "checkout.session.completed",
        paymentId: req.paymentId,
        payment: { providerReference: started.providerReference },
      },
    });
    expect(delivery!.event_id).toMatch(/^evt_/);
  });

  it("Paystack: the charge.success it signs with the secret key verifies; its key is event:data.id", async () => {
    const key = paystackKey();
    const connector = connectorFor("paystack", key);
    const req = request(250000n, "NGN");
    await connector.initiate(req);
    const started = await connector.initiate({ ...req, reference: `${req.reference}b` });
    await checkout(started.checkoutUrl, "pay");
    const [delivery] = await standinDeliveries({
      provider: "paystack",
      reference: started.providerReference,
    });
    const result = await connector.parseWebhook(
      new TextEncoder().encode(delivery!.body),
      new Headers(delivery!.headers),
      new Date(),
    );
    expect(result).toMatchObject({
      verified: true,
      event: {
        eventKey: delivery!.event_id,
        eventType: "charge.success",
        payment: { providerReference: started.providerReference },
      },
    });
    const other = await connectorFor("paystack", paystackKey()).parseWebhook(
      new TextEncoder().encode(delivery!.body),
      new Headers(delivery!.headers),
      new Date(),
    );
    expect(other).toEqual({ verified: false, reason: "bad_signature" });
  });

  it("Flutterwave: the charge.completed it sends (verif-hash and flutterwave-signature) verifies with the secret hash", async () => {
    const key = flutterwaveKey();
    const hash = flutterwaveHash();
    const set = await fetch(`${standin}/__standin/flutterwave/webhook`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        secret_key: key,
        url: `${receiver}/hooks/connectors-${crypto.randomUUID()}`,
        secret_hash: hash,
      }),
    });
    expect(set.status).toBe(200);
    const connector = connectorFor("flutterwave", key, [hash]);
    const started = await connector.initiate(request(99999n, "NGN"));
    await checkout(started.checkoutUrl, "pay");
    const [delivery] = await standinDeliveries({
      provider: "flutterwave",
      reference: started.providerReference,
    });
    const headers = new Headers(delivery!.headers);
    expect(headers.get("verif-hash")).toBe(hash);
    expect(headers.get("flutterwave-signature")).toBeTruthy();
    const result = await connector.parseWebhook(
      new TextEncoder().encode(delivery!.body),
      headers,
      new Date(),
    );
    expect(result).toMatchObject({
      verified: true,
      event: {
        eventKey: delivery!.event_id,
        eventType: "charge.completed",
        payment: { providerReference: started.providerReference },
      },
    });
    // Each header alone, as v3-only and v4-only senders would deliver it.
    headers.delete("flutterwave-signature");
    expect(
      (await connector.parseWebhook(new TextEncoder().encode(delivery!.body), headers, new Date())).verified,
    ).toBe(true);
  });
});

describe("providers that fail or hang (the webhook receiver stands in for a broken API)", () => {
  it.each(["paystack", "flutterwave"] as const)(
    "%s: a 5xx and a missed deadline are 503 with Retry-After, the refusal a 400 with the message only",
    async (provider) => {
      const name = `broken-${crypto.randomUUID()}`;
      const secretKey = keyFor(provider);
      const broken = connectorWith(
        provider,
        { secretKey, webhookSecrets: [] },
        { baseUrl: `${receiver}/hooks/${name}`, timeoutMs: 500 },
      );
      await fetch(`${receiver}/control/${name}?fail=1`, { method: "POST" });
      const failing = await broken.initiate(request(1000n, "NGN")).catch((e: unknown) => e);
      expect(failing).toMatchObject({ status: 503, headers: { "Retry-After": "5" } });
      expect((failing as ApiError).message).toMatch(/answered 500/);

      await fetch(`${receiver}/control/${name}?hang=1`, { method: "POST" });
      const started = Date.now();
      const late = await broken.initiate(request(1000n, "NGN")).catch((e: unknown) => e);
      expect(late).toMatchObject({ status: 503 });
      expect((late as ApiError).message).toMatch(/did not answer within 500 ms/);
      expect(Date.now() - started).toBeLessThan(5000);

      // The receiver answers 200 with a body that is not the provider's: unreadable, so 503 too.
      const odd = await broken.initiate(request(1000n, "NGN")).catch((e: unknown) => e);
      expect(odd).toMatchObject({ status: 503 });

      // What was sent: the Bearer key, and ₦10.00 as Paystack's integer kobo or Flutterwave's exact major units.
      const sent = (await (await fetch(`${receiver}/control/${name}`)).json()) as {
        headers: Record<string, string>;
        body: string;
      }[];
      expect(sent).toHaveLength(3);
      expect(sent[0]?.headers.authorization).toBe(`Bearer ${secretKey}`);
      expect(sent[0]?.body).toContain(provider === "paystack" ? '"amount":1000,' : '"amount":10.00,');
    },
  );
});
