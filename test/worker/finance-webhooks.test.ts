import { sql } from "drizzle-orm";
import Stripe from "stripe";
import { describe, expect, it, vi } from "vitest";
import { FORWARDED_FROM_HEADER } from "../../workers/api/auth/forwarded-client";
import { until } from "../support/until";
import {
  checkout,
  connect,
  counts,
  deliver,
  deliveriesFor,
  eventsOf,
  initiate,
  initiated,
  ownerOfNewTenant,
  STANDIN,
  untilStatus,
} from "./finance-webhook-helpers";
import { call, envelope } from "./helpers";
import { asTenant } from "./oauth-helpers";

// Provider webhooks end to end inside the Worker: the real connectors call the provider stand-in
// (regions/payment-providers), the customer pays at its hosted checkout, and the webhook it
// signed (or one signed here with the official stripe package) is sent to the public intake.

const stripe = new Stripe("sk_test_signing_only", { httpClient: Stripe.createFetchHttpClient() });

async function rejections(tenantId: string, connectionPublicId: string): Promise<number> {
  const uuid = connectionPublicId
    .replace(/^pcn_[a-z]{2}_/, "")
    .replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-");
  const [rows = []] = await asTenant(
    tenantId,
    sql`select webhook_rejections::int as n from payment_connections where id = ${uuid}`,
  );
  return (rows[0] as { n: number }).n;
}

async function paidAt(provider: "stripe" | "paystack" | "flutterwave", type: string) {
  const owner = await ownerOfNewTenant();
  const connection = await connect(owner.token, provider);
  const payment = await initiated(owner.token, {
    currency: provider === "stripe" ? "EUR" : "NGN",
    connection_id: connection.id,
  });
  expect(payment.status).toBe("requires_action");
  await checkout(payment.checkout_url, "pay");
  const [delivery] = await until("the provider's webhook", 5_000, async () => {
    const found = await deliveriesFor(payment.provider_reference, type);
    return found.length > 0 ? found : undefined;
  });
  if (!delivery) throw new Error("no delivery");
  return { ...owner, connection, payment, delivery };
}

describe("provider webhooks", () => {
  it.each([
    ["paystack", "charge.success"],
    ["stripe", "checkout.session.completed"],
    ["flutterwave", "charge.completed"],
  ] as const)("a valid %s webhook moves its payment once, after verify agrees", async (provider, type) => {
    const { token, tenantId, connection, payment, delivery } = await paidAt(provider, type);
    const res = await deliver(connection.webhookPath, delivery.body, delivery.headers);
    expect(res.status).toBe(200);
    expect((await res.json()) as unknown).toMatchObject({ data: { received: true, duplicate: false } });
    await untilStatus(token, payment.id, "succeeded");
    expect(await eventsOf(token, "payment.succeeded")).toHaveLength(1);
    const [rows = []] = await asTenant(
      tenantId,
      sql`select state, duplicates, event_type from provider_events`,
    );
    expect(rows).toEqual([{ state: "applied", duplicates: 0, event_type: type }]);
  });

  it("a paid invoice turns paid, with invoice.paid, in the same transaction as payment.succeeded", async () => {
    const owner = await ownerOfNewTenant();
    const connection = await connect(owner.token, "paystack");
    const created = await call("/api/v1/invoices", {
      method: "POST",
      token: owner.token,
      json: {
        currency: "NGN",
        due_date: "2026-12-31",
        customer: { name: "Ọ̀ṣọ́ Adébáyọ̀", email: "oso@example.ng" },
        lines: [{ description: "Catering", quantity: 2, unit_price: "500.00", tax_rate: "7.5" }],
      },
    });
    const invoice = (await envelope<{ id: string }>(created)).data;
    const finalized = await call(`/api/v1/finance/invoices/${invoice.id}/finalize`, {
      method: "POST",
      token: owner.token,
    });
    const open = (await envelope<{ amount_due: string; status: string }>(finalized)).data;
    expect(open).toMatchObject({ status: "open", amount_due: "1075.00" });
    const over = await initiate(owner.token, { amount: "1075.01", invoice_id: invoice.id });
    expect(over.status).toBe(400);
    expect((await envelope(over)).errors?.[0]?.field).toBe("amount");
    const payment = await initiated(owner.token, { amount: open.amount_due, invoice_id: invoice.id });
    // A second attempt while the first is in flight is refused.
    const second = await call("/api/v1/payments/initiate", {
      method: "POST",
      token: owner.token,
      headers: { "Idempotency-Key": crypto.randomUUID() },
      json: {
        amount: "1075.00",
        currency: "NGN",
        customer_email: "a@b.ng",
        return_url: "https://x.example/r",
        invoice_id: invoice.id,
      },
    });
    expect(second.status).toBe(409);
    await checkout(payment.checkout_url, "pay");
    const [delivery] = await deliveriesFor(payment.provider_reference, "charge.success");
    if (!delivery) throw new Error("no charge.success");
    expect((await deliver(connection.webhookPath, delivery.body, delivery.headers)).status).toBe(200);
    await untilStatus(owner.token, payment.id, "succeeded");
    const read = await call(`/api/v1/finance/invoices/${invoice.id}`, { token: owner.token });
    expect((await envelope<Record<string, unknown>>(read)).data).toMatchObject({
      status: "paid",
      amount_paid: "1075.00",
      amount_due: "0.00",
    });
    const paid = await eventsOf(owner.token, "invoice.paid");
    expect(paid).toHaveLength(1);
    expect(paid[0]?.data).toMatchObject({ id: invoice.id, status: "paid" });
    const [rows = []] = await asTenant(
      owner.tenantId,
      sql`select event_type, metadata_correlation from (
            select event_type, payload->'metadata'->>'correlation_id' as metadata_correlation from outbox_events
            where event_type in ('payment.succeeded', 'invoice.paid')) e`,
    );
    // Written by the same application of the webhook.
    expect(
      new Set((rows as { metadata_correlation: string }[]).map((r) => r.metadata_correlation)).size,
    ).toBe(1);
  });

  it("a Stripe bank debit that fails after checkout: the async failure webhooks move the payment to failed once", async () => {
    const owner = await ownerOfNewTenant();
    const connection = await connect(owner.token, "stripe");
    const payment = await initiated(owner.token, { currency: "EUR", connection_id: connection.id });
    await checkout(payment.checkout_url, "fail_async");
    const sent = await until("Stripe's async failure", 5_000, async () => {
      const found = await deliveriesFor(payment.provider_reference);
      return found.some((d) => d.type === "checkout.session.async_payment_failed") ? found : undefined;
    });
    for (const delivery of sent) {
      expect(
        (await deliver(connection.webhookPath, delivery.body, delivery.headers)).status,
        delivery.type,
      ).toBe(200);
    }
    await untilStatus(owner.token, payment.id, "failed");
    expect(await eventsOf(owner.token, "payment.failed")).toHaveLength(1);
    expect(await eventsOf(owner.token, "payment.succeeded")).toHaveLength(0);
  });

  it("the same event ten times in a row and ten at once: one row, one transition, one outbox event", async () => {
    const { token, tenantId, connection, payment, delivery } = await paidAt("paystack", "charge.success");
    const sequential: number[] = [];
    for (let i = 0; i < 10; i++) {
      sequential.push((await deliver(connection.webhookPath, delivery.body, delivery.headers)).status);
    }
    const concurrent = await Promise.all(
      Array.from({ length: 10 }, () => deliver(connection.webhookPath, delivery.body, delivery.headers)),
    );
    expect([...sequential, ...concurrent.map((r) => r.status)]).toEqual(Array(20).fill(200));
    await untilStatus(token, payment.id, "succeeded");
    // Repeats answered from the isolate's memory are counted a moment later (REPEAT_FLUSH_MS).
    await vi.waitFor(async () => {
      const [rows = []] = await asTenant(tenantId, sql`select state, duplicates from provider_events`);
      expect(rows).toEqual([{ state: "applied", duplicates: 19 }]);
    });
    const succeeded = await eventsOf(token, "payment.succeeded");
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]?.data).toMatchObject({ id: payment.id, status: "succeeded", amount: "1250.00" });
    expect((await eventsOf(token, "payment.")).map((e) => e.event_type).sort()).toEqual([
      "payment.created",
      "payment.succeeded",
    ]);
  });

  it("ten concurrent first deliveries of a Stripe event: one row, one effect", async () => {
    const { token, tenantId, connection, payment, delivery } = await paidAt(
      "stripe",
      "checkout.session.completed",
    );
    const all = await Promise.all(
      Array.from({ length: 10 }, () => deliver(connection.webhookPath, delivery.body, delivery.headers)),
    );
    expect(all.map((r) => r.status)).toEqual(Array(10).fill(200));
    await untilStatus(token, payment.id, "succeeded");
    await vi.waitFor(async () => {
      const [rows = []] = await asTenant(tenantId, sql`select duplicates from provider_events`);
      expect(rows).toEqual([{ duplicates: 9 }]);
    });
    expect(await eventsOf(token, "payment.succeeded")).toHaveLength(1);
  });

  it("a Stripe dispute (charge.dispute.created, naming only the PaymentIntent) moves the payment to disputed once", async () => {
    const { token, tenantId, connection, payment, delivery } = await paidAt(
      "stripe",
      "checkout.session.completed",
    );
    expect((await deliver(connection.webhookPath, delivery.body, delivery.headers)).status).toBe(200);
    await untilStatus(token, payment.id, "succeeded");
    const read = await call(`/api/v1/finance/payments/${payment.id}`, { token });
    const intent = (await envelope<{ provider_payment_id: string }>(read)).data.provider_payment_id;
    expect(intent).toMatch(/^pi_/);

    const opened = await fetch(`${STANDIN()}/__standin/stripe/payment_intents/${intent}/dispute`, {
      method: "POST",
    });
    expect(opened.status).toBe(200);
    const [dispute] = await until("charge.dispute.created", 5_000, async () => {
      const found = await deliveriesFor(intent, "charge.dispute.created");
      return found.length > 0 ? found : undefined;
    });
    if (!dispute) throw new Error("no dispute delivery");
    for (let i = 0; i < 3; i++) {
      expect((await deliver(connection.webhookPath, dispute.body, dispute.headers)).status).toBe(200);
    }
    await untilStatus(token, payment.id, "disputed");
    expect(await eventsOf(token, "payment.disputed")).toHaveLength(1);
    const [rows = []] = await asTenant(
      tenantId,
      sql`select state, payment_id from provider_events where event_type = 'charge.dispute.created'`,
    );
    expect(rows).toEqual([{ state: "applied", payment_id: payment.id }]);
  });

  it("a forged signature, a stale Stripe timestamp and a tampered body write nothing but the count", async () => {
    const { tenantId, connection, payment, delivery } = await paidAt("stripe", "checkout.session.completed");
    const secret = connection.webhookSecret ?? "";
    const before = await counts(tenantId);
    const now = Math.floor(Date.now() / 1000);
    const forged = await stripe.webhooks.generateTestHeaderStringAsync({
      payload: delivery.body,
      secret: "whsec_not_the_connections",
      cryptoProvider: Stripe.createSubtleCryptoProvider(),
    });
    const stale = await stripe.webhooks.generateTestHeaderStringAsync({
      payload: delivery.body,
      secret,
      timestamp: now - 301,
      cryptoProvider: Stripe.createSubtleCryptoProvider(),
    });
    const valid = await stripe.webhooks.generateTestHeaderStringAsync({
      payload: delivery.body,
      secret,
      cryptoProvider: Stripe.createSubtleCryptoProvider(),
    });
    const tampered = delivery.body.replace('"paid"', '"unpaid"');
    expect(tampered).not.toBe(delivery.body);
    const attempts = [
      await deliver(connection.webhookPath, delivery.body, { "stripe-signature": forged }),
      await deliver(connection.webhookPath, delivery.body, { "stripe-signature": stale }),
      await deliver(connection.webhookPath, tampered, { "stripe-signature": valid }),
      await deliver(connection.webhookPath, delivery.body, {}),
    ];
    expect(attempts.map((r) => r.status)).toEqual([400, 400, 400, 400]);
    expect(await counts(tenantId)).toEqual(before);
    expect(await rejections(tenantId, connection.id)).toBe(4);
    const [rows = []] = await asTenant(tenantId, sql`select status from payments where id = ${payment.id}`);
    expect(rows).toEqual([{ status: "requires_action" }]);

    // The same body, signed now with the connection's secret, is accepted.
    const ok = await deliver(connection.webhookPath, delivery.body, { "stripe-signature": valid });
    expect(ok.status).toBe(200);
  });

  it("an amount that does not match the pull leaves the payment untouched, with no event", async () => {
    const { token, tenantId, connection, payment, delivery } = await paidAt("paystack", "charge.success");
    // Our record says 1,000.00 while the provider took 1,250.00 for this reference.
    await asTenant(tenantId, sql`update payments set amount_minor = 100000 where id = ${payment.id}`);
    const before = await counts(tenantId);
    expect((await deliver(connection.webhookPath, delivery.body, delivery.headers)).status).toBe(200);
    const [event] = await until(
      "the event to be judged",
      5_000,
      async () => {
        const [rows = []] = await asTenant(tenantId, sql`select state, last_error from provider_events`);
        return (rows as { state: string; last_error: string }[]).filter((r) => r.state !== "received").length
          ? (rows as { state: string; last_error: string }[])
          : undefined;
      },
      100,
    );
    expect(event?.state).toBe("ignored");
    expect(event?.last_error).toContain("amount");
    const after = await counts(tenantId);
    expect({ payments: after.payments, outbox: after.outbox }).toEqual({
      payments: before.payments,
      outbox: before.outbox,
    });
    expect(await eventsOf(token, "payment.succeeded")).toHaveLength(0);
    const [rows = []] = await asTenant(tenantId, sql`select status from payments where id = ${payment.id}`);
    expect(rows).toEqual([{ status: "requires_action" }]);
  });

  it("another tenant's connection id: refused there (its secret does not sign it) and nothing moves here", async () => {
    const a = await paidAt("paystack", "charge.success");
    const b = await ownerOfNewTenant();
    const bConnection = await connect(b.token, "paystack");
    const beforeA = await counts(a.tenantId);
    const res = await deliver(bConnection.webhookPath, a.delivery.body, a.delivery.headers);
    expect(res.status).toBe(400);
    expect(await counts(b.tenantId)).toMatchObject({ payments: 0, events: 0 });
    expect(await rejections(b.tenantId, bConnection.id)).toBe(1);
    expect(await counts(a.tenantId)).toEqual(beforeA);
    const [rows = []] = await asTenant(
      a.tenantId,
      sql`select status from payments where id = ${a.payment.id}`,
    );
    expect(rows).toEqual([{ status: "requires_action" }]);
  });

  it("an unknown connection, the wrong provider in the path or a malformed id is 404", async () => {
    const { connection, delivery } = await paidAt("paystack", "charge.success");
    const unknown = connection.webhookPath.replace(/pcn_eu_[0-9a-f]{32}/, `pcn_eu_${"0".repeat(32)}`);
    const wrongProvider = connection.webhookPath.replace("/paystack/", "/flutterwave/");
    for (const path of [unknown, wrongProvider, "/api/v1/payments/webhook/paystack/not-an-id"]) {
      expect((await deliver(path, delivery.body, delivery.headers)).status, path).toBe(404);
    }
    expect((await deliver("/api/v1/payments/webhook/venmo/x", delivery.body, delivery.headers)).status).toBe(
      400,
    );
  });

  it("a Lagos connection's webhook is forwarded to Lagos (unreachable in this test: 503), never a second hop", async () => {
    const path = `/api/v1/payments/webhook/paystack/pcn_ng_${"ab".repeat(16)}`;
    const res = await deliver(path, '{"event":"charge.success"}', { "x-paystack-signature": "00" });
    expect(res.status).toBe(503);
    expect((await envelope(res)).errors?.[0]?.message).toMatch(/lagos is unreachable/);
    const looped = await deliver(path, "{}", { [FORWARDED_FROM_HEADER]: "eu" });
    expect(looped.status).toBe(508);
  });

  it("refuses a body over the provider webhook cap with 413", async () => {
    const { connection } = await paidAt("paystack", "charge.success");
    const big = JSON.stringify({ event: "charge.success", pad: "x".repeat(300 * 1024) });
    expect((await deliver(connection.webhookPath, big, { "x-paystack-signature": "00" })).status).toBe(413);
  });
});
