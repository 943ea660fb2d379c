import { createHmac, timingSafeEqual } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../support/until";
import { type Harness, startHarness, submitCheckout, testKey } from "./harness";

// Paystack's transaction API as a fetch client (what the Worker's connector will be) sees it:
// initialize → hosted page → charge.success signed with the secret key → verify; a failed payment
// sends no webhook and only verify tells.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

function paystack(key: string) {
  const base = h.standin.providerUrls.paystack;
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
}

async function merchant(name: string): Promise<{ key: string; call: ReturnType<typeof paystack> }> {
  const key = testKey("sk_test_");
  const dashboard = await fetch(`${h.standin.url}/__standin/paystack/webhook`, {
    method: "PUT",
    body: JSON.stringify({ secret_key: key, url: h.hookUrl(name) }),
  });
  expect(dashboard.status).toBe(200);
  return { key, call: paystack(key) };
}

/** What the receiver must do: HMAC-SHA512 of the raw body with the secret key, hex, constant time. */
function signatureValid(key: string, body: string, signature: string): boolean {
  const expected = Buffer.from(createHmac("sha512", key).update(body).digest("hex"));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const initialize = (reference: string) => ({
  email: "ada@example.ng",
  amount: 500000,
  currency: "NGN",
  reference,
  callback_url: "https://merchant.example/paystack/return",
  metadata: { invoice_id: "inv_7" },
});

describe("Paystack", () => {
  it("initializes, pays on the hosted page, sends charge.success signed with the secret key, verifies as success", async () => {
    const { key, call } = await merchant("paystack-pay");
    const init = await call("POST", "/transaction/initialize", initialize("inv7-attempt1"));
    expect(init.status).toBe(200);
    expect(init.body).toMatchObject({
      status: true,
      message: "Authorization URL created",
      data: { reference: "inv7-attempt1", access_code: expect.any(String) },
    });
    expect(init.body.data.authorization_url).toBe(
      `${h.standin.url}/checkout/paystack/${init.body.data.access_code}`,
    );

    const pending = await call("GET", "/transaction/verify/inv7-attempt1");
    expect(pending.body).toMatchObject({ status: true, data: { status: "abandoned", paid_at: null } });

    const page = await (await fetch(init.body.data.authorization_url)).text();
    expect(page).toContain("NGN 5000.00");

    const paid = await submitCheckout(init.body.data.authorization_url, "pay");
    expect(paid.status).toBe(303);
    expect(paid.headers.get("location")).toBe(
      "https://merchant.example/paystack/return?trxref=inv7-attempt1&reference=inv7-attempt1",
    );

    const [delivery, ...others] = await h.received("paystack-pay");
    expect(others).toEqual([]);
    expect(signatureValid(key, delivery!.body, delivery!.headers["x-paystack-signature"]!)).toBe(true);
    expect(
      signatureValid(testKey("sk_test_"), delivery!.body, delivery!.headers["x-paystack-signature"]!),
    ).toBe(false);
    const event = JSON.parse(delivery!.body);
    expect(event).toMatchObject({
      event: "charge.success",
      data: {
        status: "success",
        reference: "inv7-attempt1",
        amount: 500000,
        currency: "NGN",
        gateway_response: "Successful",
        metadata: { invoice_id: "inv_7" },
        customer: { email: "ada@example.ng", customer_code: expect.stringMatching(/^CUS_/) },
        authorization: { authorization_code: expect.stringMatching(/^AUTH_/), reusable: true },
      },
    });
    expect(Number.isInteger(event.data.id)).toBe(true);

    const verify = await call("GET", "/transaction/verify/inv7-attempt1");
    expect(verify.body).toMatchObject({
      status: true,
      message: "Verification successful",
      data: { id: event.data.id, status: "success", amount: 500000, currency: "NGN", channel: "card" },
    });
    expect(verify.body.data.paid_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    // ₦5,000: 1.5% + ₦100 = ₦175, in kobo.
    expect(verify.body.data.fees).toBe(17500);
  });

  it("Fail: no webhook at all (Paystack sends none for failures); verify says failed", async () => {
    const { call } = await merchant("paystack-fail");
    const init = await call("POST", "/transaction/initialize", initialize("inv7-attempt2"));
    const failed = await submitCheckout(init.body.data.authorization_url, "fail");
    expect(failed.status).toBe(303);
    expect(failed.headers.get("location")).toContain("reference=inv7-attempt2");
    expect(await h.received("paystack-fail")).toEqual([]);
    // Only Stripe's page offers a delayed failure.
    expect((await submitCheckout(init.body.data.authorization_url, "fail_async")).status).toBe(400);
    const verify = await call("GET", "/transaction/verify/inv7-attempt2");
    expect(verify.body.data).toMatchObject({ status: "failed", gateway_response: "Declined", paid_at: null });
  });

  it("refunds in part then in full (refund.processed each time); the transaction ends reversed", async () => {
    const { key, call } = await merchant("paystack-refund");
    const init = await call("POST", "/transaction/initialize", initialize("inv7-attempt3"));
    await submitCheckout(init.body.data.authorization_url, "pay");
    const part = await call("POST", "/refund", { transaction: "inv7-attempt3", amount: 100000 });
    expect(part.body).toMatchObject({
      status: true,
      message: "Refund has been queued for processing",
      data: { amount: 100000 },
    });
    const rest = await call("POST", "/refund", { transaction: "inv7-attempt3" });
    expect(rest.body.data.amount).toBe(400000);
    expect((await call("GET", "/transaction/verify/inv7-attempt3")).body.data.status).toBe("reversed");
    expect((await call("POST", "/refund", { transaction: "inv7-attempt3" })).body).toMatchObject({
      status: false,
    });
    // Refund webhooks follow the answer, as on Paystack.
    const received = await until(
      "two refund.processed",
      5_000,
      async () => {
        const got = await h.received("paystack-refund");
        return got.length === 3 ? got : undefined;
      },
      50,
    );
    expect(received.map((r) => JSON.parse(r.body).event)).toEqual([
      "charge.success",
      "refund.processed",
      "refund.processed",
    ]);
    for (const r of received)
      expect(signatureValid(key, r.body, r.headers["x-paystack-signature"]!)).toBe(true);
  });

  it("answers bad keys and bad input in Paystack's {status:false, message} shape", async () => {
    const noHeader = await fetch(`${h.standin.providerUrls.paystack}/transaction/verify/x`);
    expect(noHeader.status).toBe(401);
    expect(await noHeader.json()).toEqual({ status: false, message: "No Authorization Header was found" });
    const live = await paystack("sk_live_0123456789abcdef")("GET", "/transaction/verify/x");
    expect(live).toEqual({ status: 401, body: { status: false, message: "Invalid key" } });

    const { call } = await merchant("paystack-errors");
    expect(
      await call("POST", "/transaction/initialize", { ...initialize("r1"), amount: 12.5 }),
    ).toMatchObject({
      status: 400,
      body: { status: false, message: "Invalid Amount Sent" },
    });
    expect(
      await call("POST", "/transaction/initialize", { ...initialize("r1"), email: "nope" }),
    ).toMatchObject({
      status: 400,
      body: { status: false, message: "Invalid Email Address Passed" },
    });
    expect((await call("POST", "/transaction/initialize", initialize("r1"))).status).toBe(200);
    expect(await call("POST", "/transaction/initialize", initialize("r1"))).toMatchObject({
      status: 400,
      body: { status: false, message: "Duplicate Transaction Reference" },
    });
    // Another integration's key does not see the transaction.
    const other = await paystack(testKey("sk_test_"))("GET", "/transaction/verify/r1");
    expect(other).toMatchObject({
      status: 400,
      body: { status: false, message: "Transaction reference not found" },
    });
  });

  it("re-delivers charge.success N times concurrently: same bytes, same valid signature", async () => {
    const { key, call } = await merchant("paystack-redeliver");
    const init = await call("POST", "/transaction/initialize", initialize("inv7-attempt4"));
    await submitCheckout(init.body.data.authorization_url, "pay");
    const [delivery] = await h.deliveries({ provider: "paystack", reference: "inv7-attempt4" });
    expect(delivery).toMatchObject({ type: "charge.success", delivered: true });
    // Paystack has no event id: the dedupe key is event + data.id.
    expect(delivery!.event_id).toBe(`charge.success:${JSON.parse(delivery!.body).data.id}`);
    const response = await fetch(`${h.standin.url}/__standin/webhooks/${delivery!.id}/redeliver`, {
      method: "POST",
      body: JSON.stringify({ times: 4, concurrent: true }),
    });
    expect(((await response.json()) as { data: { status: number }[] }).data.map((a) => a.status)).toEqual([
      200, 200, 200, 200,
    ]);
    const received = await h.received("paystack-redeliver");
    expect(received).toHaveLength(5);
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
    for (const r of received)
      expect(signatureValid(key, r.body, r.headers["x-paystack-signature"]!)).toBe(true);
  });
});
