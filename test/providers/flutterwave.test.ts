import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, submitCheckout, testKey } from "./harness";

// Flutterwave v3 Standard: a hosted link, amounts in decimal MAJOR units, charge.completed with
// both `verif-hash` and `flutterwave-signature`, verify by id and by tx_ref.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

function flutterwave(key: string) {
  const base = h.standin.providerUrls.flutterwave;
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, body: JSON.parse(text) as any };
  };
}

async function merchant(name: string) {
  const key = testKey("FLWSECK_TEST-");
  const secretHash = `hash-${name}-${Math.random().toString(36).slice(2)}`;
  const dashboard = await fetch(`${h.standin.url}/__standin/flutterwave/webhook`, {
    method: "PUT",
    body: JSON.stringify({ secret_key: key, url: h.hookUrl(name), secret_hash: secretHash }),
  });
  expect(dashboard.status).toBe(200);
  return { key, secretHash, call: flutterwave(key) };
}

const payment = (txRef: string, amount: number | string = 2500.5) => ({
  tx_ref: txRef,
  amount,
  currency: "NGN",
  redirect_url: "https://merchant.example/flw/return",
  customer: { email: "chidi@example.ng", name: "Chidi Okafor" },
  meta: { invoice_id: "inv_9" },
});

describe("Flutterwave", () => {
  it("pays through the hosted link; the webhook carries both signatures; verify by id and by tx_ref agree", async () => {
    const { secretHash, call } = await merchant("flw-pay");
    const created = await call("POST", "/v3/payments", payment("inv9-a1"));
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ status: "success", message: "Hosted Link" });
    const { link } = created.body.data as { link: string };
    expect(link.startsWith(`${h.standin.url}/checkout/flutterwave/`)).toBe(true);

    const before = await call("GET", "/v3/transactions/verify_by_reference?tx_ref=inv9-a1");
    expect(before).toMatchObject({ status: 400, body: { status: "error", data: null } });
    expect(await (await fetch(link)).text()).toContain("NGN 2500.50");

    const paid = await submitCheckout(link, "pay");
    expect(paid.status).toBe(303);
    const location = new URL(paid.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe("https://merchant.example/flw/return");
    expect(location.searchParams.get("status")).toBe("successful");
    expect(location.searchParams.get("tx_ref")).toBe("inv9-a1");
    const transactionId = location.searchParams.get("transaction_id")!;
    expect(transactionId).toMatch(/^\d+$/);

    const [delivery, ...others] = await h.received("flw-pay");
    expect(others).toEqual([]);
    expect(delivery!.headers["verif-hash"]).toBe(secretHash);
    expect(delivery!.headers["flutterwave-signature"]).toBe(
      createHmac("sha256", secretHash).update(delivery!.body).digest("base64"),
    );
    const event = JSON.parse(delivery!.body);
    expect(event).toMatchObject({
      event: "charge.completed",
      "event.type": "CARD_TRANSACTION",
      data: {
        id: Number(transactionId),
        tx_ref: "inv9-a1",
        amount: 2500.5,
        currency: "NGN",
        status: "successful",
      },
    });
    expect(event.data.flw_ref).toMatch(/^FLW-MOCK-/);

    const byId = await call("GET", `/v3/transactions/${transactionId}/verify`);
    const byRef = await call("GET", "/v3/transactions/verify_by_reference?tx_ref=inv9-a1");
    expect(byId.body).toMatchObject({ status: "success", message: "Transaction fetched successfully" });
    expect(byRef.body).toEqual(byId.body);
    expect(byId.body.data).toMatchObject({
      id: Number(transactionId),
      tx_ref: "inv9-a1",
      status: "successful",
      amount: 2500.5,
      charged_amount: 2500.5,
      currency: "NGN",
      customer: { email: "chidi@example.ng" },
      meta: { invoice_id: "inv_9" },
    });
    // The exact decimal on the wire: 1.4% of ₦2,500.50 = ₦35.007 → ₦35.00 (floored to kobo).
    expect(byId.text).toContain('"amount":2500.5,');
    expect(byId.body.data.app_fee).toBe(35);
    expect(byId.body.data.amount_settled).toBe(2465.5);
  });

  it("Fail sends charge.completed with status failed and returns with status=failed", async () => {
    const { secretHash, call } = await merchant("flw-fail");
    const created = await call("POST", "/v3/payments", payment("inv9-a2", "1999.99"));
    const failed = await submitCheckout(created.body.data.link, "fail");
    const location = new URL(failed.headers.get("location")!);
    expect(location.searchParams.get("status")).toBe("failed");
    const [delivery] = await h.received("flw-fail");
    expect(delivery!.headers["verif-hash"]).toBe(secretHash);
    expect(JSON.parse(delivery!.body).data).toMatchObject({ status: "failed", amount: 1999.99 });
    const verify = await call("GET", "/v3/transactions/verify_by_reference?tx_ref=inv9-a2");
    expect(verify.body.data).toMatchObject({ status: "failed", amount: 1999.99 });
  });

  it("Cancel returns with status=cancelled and no transaction_id; nothing to verify, no webhook", async () => {
    const { call } = await merchant("flw-cancel");
    const created = await call("POST", "/v3/payments", payment("inv9-a3"));
    const cancelled = await submitCheckout(created.body.data.link, "cancel");
    const location = new URL(cancelled.headers.get("location")!);
    expect(Object.fromEntries(location.searchParams)).toEqual({ status: "cancelled", tx_ref: "inv9-a3" });
    expect(await h.received("flw-cancel")).toEqual([]);
    expect((await call("GET", "/v3/transactions/verify_by_reference?tx_ref=inv9-a3")).status).toBe(400);
  });

  it("refunds in major units, exactly", async () => {
    const { call } = await merchant("flw-refund");
    const created = await call("POST", "/v3/payments", payment("inv9-a4", "100.10"));
    const paid = await submitCheckout(created.body.data.link, "pay");
    const id = new URL(paid.headers.get("location")!).searchParams.get("transaction_id");
    const part = await call("POST", `/v3/transactions/${id}/refund`, { amount: 0.1 });
    expect(part.body).toMatchObject({ status: "success", data: { amount_refunded: 0.1, tx_id: Number(id) } });
    const rest = await call("POST", `/v3/transactions/${id}/refund`, {});
    expect(rest.body.data.amount_refunded).toBe(100);
    expect(await call("POST", `/v3/transactions/${id}/refund`, { amount: 0.01 })).toMatchObject({
      status: 400,
      body: { status: "error" },
    });
  });

  it("answers bad keys and inexact amounts in Flutterwave's {status:'error', message, data:null} shape", async () => {
    const bad = await flutterwave("FLWSECK-live-nope")("POST", "/v3/payments", payment("x"));
    expect(bad).toMatchObject({
      status: 401,
      body: { status: "error", message: "Invalid authorization key", data: null },
    });
    const { call } = await merchant("flw-errors");
    // Kobo is the smallest NGN unit: three decimals cannot be charged.
    expect(await call("POST", "/v3/payments", payment("inv9-a5", "100.001"))).toMatchObject({
      status: 400,
      body: { status: "error", data: null },
    });
    expect(await call("POST", "/v3/payments", { ...payment("inv9-a5"), customer: {} })).toMatchObject({
      status: 400,
      body: { status: "error", message: "customer.email is required" },
    });
    // A transaction of one account is not found with another key.
    const created = await call("POST", "/v3/payments", payment("inv9-a6"));
    const paid = await submitCheckout(created.body.data.link, "pay");
    const id = new URL(paid.headers.get("location")!).searchParams.get("transaction_id");
    expect((await flutterwave(testKey("FLWSECK_TEST-"))("GET", `/v3/transactions/${id}/verify`)).status).toBe(
      400,
    );
  });
});
