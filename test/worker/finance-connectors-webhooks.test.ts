import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import type { PaymentConnector } from "../../workers/api/finance/connectors/connector";
import { connectorWith } from "../../workers/api/finance/connectors/connector-for";
import {
  flutterwaveHash,
  flutterwaveKey,
  paystackKey,
  stripeKey,
  stripeWebhookSecret,
} from "./finance-connection-helpers";

// Each connector's parseWebhook against the providers' real signature formats: Stripe's through
// the official package's own test signer, Paystack's and Flutterwave's computed here as they
// document them. Nothing here calls a provider (no base URL is used).

const OPTIONS = { baseUrl: "http://127.0.0.1:9", timeoutMs: 1000 };
const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);
const subtle = Stripe.createSubtleCryptoProvider();
const stripeSigner = new Stripe(stripeKey(), { httpClient: Stripe.createFetchHttpClient() });

async function hmac(hash: "SHA-256" | "SHA-512", secret: string, body: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", bytes(secret), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes(body)));
}
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const base64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));

const NOW = new Date();
const parse = (connector: PaymentConnector, body: string, headers: Record<string, string>, now = NOW) =>
  connector.parseWebhook(bytes(body), new Headers(headers), now);

describe("Stripe webhooks (Stripe-Signature, constructEventAsync, 300 s tolerance)", () => {
  const current = stripeWebhookSecret();
  const previous = stripeWebhookSecret();
  const connector = connectorWith(
    "stripe",
    { secretKey: stripeKey(), webhookSecrets: [current, previous] },
    OPTIONS,
  );
  const event = {
    id: `evt_${crypto.randomUUID().replaceAll("-", "")}`,
    object: "event",
    api_version: "2025-01-27.acacia",
    created: Math.floor(NOW.getTime() / 1000),
    type: "checkout.session.completed",
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: {
      object: {
        id: "cs_test_a1b2c3",
        object: "checkout.session",
        client_reference_id: "6f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f01",
        payment_intent: "pi_3Abc",
        payment_status: "paid",
        status: "complete",
        metadata: { payment_id: "6f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f01" },
      },
    },
  };
  const payload = JSON.stringify(event, null, 2);
  const sign = (secret: string, timestamp = Math.floor(NOW.getTime() / 1000), body = payload) =>
    stripeSigner.webhooks.generateTestHeaderStringAsync({
      payload: body,
      secret,
      timestamp,
      cryptoProvider: subtle,
    });

  it("accepts a valid signature and reads the event id, type and checkout session", async () => {
    const result = await parse(connector, payload, { "Stripe-Signature": await sign(current) });
    expect(result).toEqual({
      verified: true,
      event: {
        eventKey: event.id,
        eventType: "checkout.session.completed",
        paymentId: "6f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f01",
        payment: { providerReference: "cs_test_a1b2c3", providerPaymentId: "pi_3Abc" },
      },
    });
  });

  it("accepts the rotated-out second secret, and a header whose second v1 is the matching one", async () => {
    expect((await parse(connector, payload, { "Stripe-Signature": await sign(previous) })).verified).toBe(
      true,
    );
    const other = await sign(stripeWebhookSecret());
    const good = await sign(current);
    const v1 = (header: string) => header.split(",").find((p) => p.startsWith("v1=")) as string;
    const twoSignatures = `${other.split(",")[0]},${v1(other)},${v1(good)}`;
    expect((await parse(connector, payload, { "Stripe-Signature": twoSignatures })).verified).toBe(true);
  });

  it("refuses a timestamp older than 300 s (stale), however well signed; 299 s passes", async () => {
    const t = Math.floor(NOW.getTime() / 1000);
    expect(await parse(connector, payload, { "Stripe-Signature": await sign(current, t - 301) })).toEqual({
      verified: false,
      reason: "stale_timestamp",
    });
    expect(
      (await parse(connector, payload, { "Stripe-Signature": await sign(current, t - 299) })).verified,
    ).toBe(true);
  });

  it("refuses a tampered body, an unknown secret, a missing header and a garbage header", async () => {
    const header = await sign(current);
    expect(
      await parse(connector, payload.replace('"paid"', '"unpaid"'), { "Stripe-Signature": header }),
    ).toEqual({
      verified: false,
      reason: "bad_signature",
    });
    expect(
      await parse(connector, payload, { "Stripe-Signature": await sign(stripeWebhookSecret()) }),
    ).toEqual({
      verified: false,
      reason: "bad_signature",
    });
    expect(await parse(connector, payload, {})).toEqual({ verified: false, reason: "missing_signature" });
    expect((await parse(connector, payload, { "Stripe-Signature": "t=abc" })).verified).toBe(false);
  });

  it("a payment_intent event names our payment through its metadata, and the intent itself", async () => {
    const intentEvent = {
      ...event,
      id: "evt_pi_1",
      type: "payment_intent.succeeded",
      data: { object: { id: "pi_1", object: "payment_intent", metadata: { payment_id: "p-1" } } },
    };
    const body = JSON.stringify(intentEvent);
    const result = await parse(connector, body, { "Stripe-Signature": await sign(current, undefined, body) });
    expect(result).toEqual({
      verified: true,
      event: {
        eventKey: "evt_pi_1",
        eventType: "payment_intent.succeeded",
        paymentId: "p-1",
        providerPaymentId: "pi_1",
      },
    });
  });
});

describe("Paystack webhooks (x-paystack-signature: hex HMAC-SHA512 of the raw body with the secret key)", () => {
  const key = paystackKey();
  const previousKey = paystackKey();
  const connector = connectorWith("paystack", { secretKey: key, webhookSecrets: [previousKey] }, OPTIONS);
  const body = JSON.stringify({
    event: "charge.success",
    data: { id: 302961, status: "success", reference: "nx_ref_1", amount: 500000, currency: "NGN" },
  });

  it("accepts the key's signature (and, during a rotation, the previous key's); the key is event:data.id", async () => {
    const result = await parse(connector, body, {
      "x-paystack-signature": hex(await hmac("SHA-512", key, body)),
    });
    expect(result).toEqual({
      verified: true,
      event: {
        eventKey: "charge.success:302961",
        eventType: "charge.success",
        payment: { providerReference: "nx_ref_1", providerPaymentId: "302961" },
      },
    });
    const old = await parse(connector, body, {
      "x-paystack-signature": hex(await hmac("SHA-512", previousKey, body)),
    });
    expect(old.verified).toBe(true);
  });

  it("refuses a forged signature, a tampered body, a SHA-256 signature and a missing header", async () => {
    const forged = hex(await hmac("SHA-512", paystackKey(), body));
    expect(await parse(connector, body, { "x-paystack-signature": forged })).toEqual({
      verified: false,
      reason: "bad_signature",
    });
    const signature = hex(await hmac("SHA-512", key, body));
    const tampered = body.replace("500000", "900000");
    expect(await parse(connector, tampered, { "x-paystack-signature": signature })).toEqual({
      verified: false,
      reason: "bad_signature",
    });
    const sha256 = hex(await hmac("SHA-256", key, body));
    expect((await parse(connector, body, { "x-paystack-signature": sha256 })).verified).toBe(false);
    expect(await parse(connector, body, {})).toEqual({ verified: false, reason: "missing_signature" });
  });

  it("a well-signed body that is not the event shape is malformed, not an event", async () => {
    for (const odd of ["not json", JSON.stringify({ data: {} }), "\u00ff\u00fe"]) {
      const signature = hex(await hmac("SHA-512", key, odd));
      expect(await parse(connector, odd, { "x-paystack-signature": signature }), odd).toEqual({
        verified: false,
        reason: "malformed",
      });
    }
  });

  it("hashes the raw bytes, not a re-serialisation: the same JSON spaced differently needs its own signature", async () => {
    const spaced = JSON.stringify(JSON.parse(body), null, 2);
    const signature = hex(await hmac("SHA-512", key, body));
    expect((await parse(connector, spaced, { "x-paystack-signature": signature })).verified).toBe(false);
    const own = hex(await hmac("SHA-512", key, spaced));
    expect((await parse(connector, spaced, { "x-paystack-signature": own })).verified).toBe(true);
  });
});

describe("Flutterwave webhooks (v3 verif-hash, v4 flutterwave-signature)", () => {
  const hash = flutterwaveHash();
  const connector = connectorWith(
    "flutterwave",
    { secretKey: flutterwaveKey(), webhookSecrets: [hash] },
    OPTIONS,
  );
  const v3 = JSON.stringify({
    event: "charge.completed",
    data: { id: 285959875, tx_ref: "nx_tx_1", amount: 1250.5, currency: "NGN", status: "successful" },
    "event.type": "CARD_TRANSACTION",
  });
  const v4 = JSON.stringify({
    webhook_id: "wbk_7Yq2",
    timestamp: 1733232000,
    type: "charge.completed",
    data: { id: "chg_9Xy", reference: "nx_tx_2", amount: 1250.5, currency: "NGN", status: "succeeded" },
  });

  it("v3: accepts verif-hash equal to the secret hash and refuses any other", async () => {
    expect(await parse(connector, v3, { "verif-hash": hash })).toEqual({
      verified: true,
      event: {
        eventKey: "charge.completed:285959875",
        eventType: "charge.completed",
        payment: { providerReference: "nx_tx_1", providerPaymentId: "285959875" },
      },
    });
    expect(await parse(connector, v3, { "verif-hash": `${hash}x` })).toEqual({
      verified: false,
      reason: "bad_signature",
    });
    expect(await parse(connector, v3, { "verif-hash": flutterwaveHash() })).toEqual({
      verified: false,
      reason: "bad_signature",
    });
    expect(await parse(connector, v3, {})).toEqual({ verified: false, reason: "missing_signature" });
  });

  it("v4: accepts base64 HMAC-SHA256 of the raw body keyed by the secret hash; refuses a forged or tampered one", async () => {
    const signature = base64(await hmac("SHA-256", hash, v4));
    expect(await parse(connector, v4, { "flutterwave-signature": signature })).toEqual({
      verified: true,
      event: {
        eventKey: "wbk_7Yq2",
        eventType: "charge.completed",
        payment: { providerReference: "nx_tx_2", providerPaymentId: "chg_9Xy" },
      },
    });
    const forged = base64(await hmac("SHA-256", flutterwaveHash(), v4));
    expect(await parse(connector, v4, { "flutterwave-signature": forged })).toEqual({
      verified: false,
      reason: "bad_signature",
    });
    expect(
      (await parse(connector, v4.replace("1250.5", "9250.5"), { "flutterwave-signature": signature }))
        .verified,
    ).toBe(false);
  });

  it("a wrong v4 signature is not rescued by a right v3 hash beside it", async () => {
    const forged = base64(await hmac("SHA-256", flutterwaveHash(), v3));
    expect(
      (await parse(connector, v3, { "flutterwave-signature": forged, "verif-hash": hash })).verified,
    ).toBe(false);
    const right = base64(await hmac("SHA-256", hash, v3));
    expect(
      (await parse(connector, v3, { "flutterwave-signature": right, "verif-hash": hash })).verified,
    ).toBe(true);
  });
});
