import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../workers/api/index";
import { countRows } from "./finance-helpers";
import {
  checkout,
  connect,
  deliver,
  deliveriesFor,
  eventsOf,
  initiate,
  initiated,
  ownerOfNewTenant,
  type PaymentJson,
  untilStatus,
} from "./finance-webhook-helpers";
import { call, envelope, tokenFor } from "./helpers";
import { asTenant } from "./oauth-helpers";

// Payment initiation, reads, refunds and the janitor through the Worker, with the real connectors
// against the provider stand-in.

const PAYMENTS = "/api/v1/finance/payments";

async function tenantWithPaystack() {
  const owner = await ownerOfNewTenant();
  const connection = await connect(owner.token, "paystack");
  const as = (role: string) => tokenFor({ tenantId: owner.tenantId, userId: crypto.randomUUID(), role });
  return { ...owner, connection, as };
}

async function runScheduled() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("payment initiation", () => {
  it("answers 201 with the payment awaiting the customer, under both paths, Paystack by region default for NGN", async () => {
    const { token, tenantId } = await tenantWithPaystack();
    const res = await initiate(token, {});
    expect(res.status).toBe(201);
    const { data } = await envelope<PaymentJson & { provider: string; connection_id: string }>(res);
    expect(data).toMatchObject({
      status: "requires_action",
      amount: "1250.00",
      currency: "NGN",
      provider: "paystack",
    });
    expect(data.checkout_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/checkout\//);
    expect(data.provider_reference).toMatch(/^nx-[0-9a-f]{32}$/);
    expect(res.headers.get("Location")).toBe(`${PAYMENTS}/${data.id}`);

    const other = await call("/api/v1/finance/payments/initiate", {
      method: "POST",
      token,
      headers: { "Idempotency-Key": crypto.randomUUID() },
      json: {
        amount: "10",
        currency: "ngn",
        customer_email: "b@example.ng",
        return_url: "https://x.example/r",
      },
    });
    expect(other.status).toBe(201);
    expect((await envelope<PaymentJson>(other)).data).toMatchObject({ amount: "10.00", currency: "NGN" });
    expect(await countRows(tenantId, "payments")).toBe(2);
    expect(await eventsOf(token, "payment.created")).toHaveLength(2);
  });

  it("requires Idempotency-Key, and replays the first answer for a repeat", async () => {
    const { token, tenantId } = await tenantWithPaystack();
    const missing = await initiate(token, {}, null);
    expect(missing.status).toBe(400);
    expect((await envelope(missing)).errors?.[0]).toMatchObject({ field: "Idempotency-Key" });
    const key = crypto.randomUUID();
    const first = await envelope<PaymentJson>(await initiate(token, {}, key));
    const again = await initiate(token, {}, key);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect((await envelope<PaymentJson>(again)).data.id).toBe(first.data.id);
    expect((await initiate(token, { amount: "99.00" }, key)).status).toBe(422);
    expect(await countRows(tenantId, "payments")).toBe(1);
  });

  it("refuses an amount finer than the currency's minor unit, a float, an unknown currency and a plain-http return URL", async () => {
    const { token, tenantId } = await tenantWithPaystack();
    const cases: [Record<string, unknown>, string][] = [
      [{ amount: "1250.001" }, "amount"],
      [{ amount: 1250 }, "amount"],
      [{ amount: "0.00" }, "amount"],
      [{ amount: "-5.00" }, "amount"],
      [{ currency: "XYZ" }, "currency"],
      [{ return_url: "http://shop.example.ng/thanks" }, "return_url"],
      [{ return_url: "javascript:alert(1)" }, "return_url"],
      [{ customer_email: "nope" }, "customer_email"],
      [{ connection_id: "pcn_ng_0123456789abcdef0123456789abcdef" }, "connection_id"],
    ];
    for (const [json, field] of cases) {
      const res = await initiate(token, json);
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(
        (await envelope(res)).errors?.map((e) => e.field),
        JSON.stringify(json),
      ).toContain(field);
    }
    // Loopback http is a development return URL (this deployment allows local targets).
    expect((await initiate(token, { return_url: "http://127.0.0.1:3000/thanks" })).status).toBe(201);
    expect(await countRows(tenantId, "payments")).toBe(1);
  });

  it("with no connection for the currency, 400 naming the currency and nothing written", async () => {
    const { token, tenantId } = await tenantWithPaystack();
    const res = await initiate(token, { currency: "EUR" });
    expect(res.status).toBe(400);
    expect((await envelope(res)).errors?.[0]?.field).toBe("currency");
    expect(await countRows(tenantId, "payments")).toBe(0);
  });
});

describe("payment reads and roles", () => {
  it("Member initiates, Viewer reads but cannot initiate, Guest gets 403, Member cannot refund", async () => {
    const { as } = await tenantWithPaystack();
    const member = await as("Member");
    const viewer = await as("Viewer");
    const guest = await as("Guest");
    const payment = await initiated(member, {});
    expect((await call(`${PAYMENTS}/${payment.id}`, { token: viewer })).status).toBe(200);
    expect((await call(PAYMENTS, { token: viewer })).status).toBe(200);
    expect((await initiate(viewer, {})).status).toBe(403);
    expect((await call(`${PAYMENTS}/${payment.id}`, { token: guest })).status).toBe(403);
    expect((await call(PAYMENTS, { token: guest })).status).toBe(403);
    const refund = (token: string) =>
      call(`${PAYMENTS}/${payment.id}/refund`, {
        method: "POST",
        token,
        json: {},
        headers: { "Idempotency-Key": crypto.randomUUID() },
      });
    expect((await refund(member)).status).toBe(403);
    expect((await refund(viewer)).status).toBe(403);
    // A Manager may refund: this one has not succeeded, so 409.
    expect((await refund(await as("Manager"))).status).toBe(409);
  });

  it("another tenant's payment is 404 exactly like a missing one, for reads and refunds", async () => {
    const a = await tenantWithPaystack();
    const b = await ownerOfNewTenant();
    const payment = await initiated(a.token, {});
    for (const id of [payment.id, crypto.randomUUID()]) {
      expect((await call(`${PAYMENTS}/${id}`, { token: b.token })).status).toBe(404);
      const refund = await call(`${PAYMENTS}/${id}/refund`, {
        method: "POST",
        token: b.token,
        json: {},
        headers: { "Idempotency-Key": crypto.randomUUID() },
      });
      expect(refund.status).toBe(404);
    }
    const list = await envelope<PaymentJson[]>(await call(PAYMENTS, { token: b.token }));
    expect(list.data).toEqual([]);
  });

  it("lists newest first with keyset pages and status / invoice_id filters", async () => {
    const { token } = await tenantWithPaystack();
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await initiated(token, { amount: `${i + 1}.00` }));
    const first = await envelope<PaymentJson[]>(await call(`${PAYMENTS}?limit=2`, { token }));
    expect(first.data.map((p) => p.id)).toEqual([made[2]?.id, made[1]?.id]);
    expect(first.meta?.has_more).toBe(true);
    const next = await envelope<PaymentJson[]>(
      await call(`${PAYMENTS}?limit=2&cursor=${encodeURIComponent(first.meta?.cursor ?? "")}`, { token }),
    );
    expect(next.data.map((p) => p.id)).toEqual([made[0]?.id]);
    const filtered = await envelope<PaymentJson[]>(await call(`${PAYMENTS}?status=succeeded`, { token }));
    expect(filtered.data).toEqual([]);
    expect((await call(`${PAYMENTS}?status=paid`, { token })).status).toBe(400);
    const none = await envelope<PaymentJson[]>(
      await call(`${PAYMENTS}?invoice_id=${crypto.randomUUID()}`, { token }),
    );
    expect(none.data).toEqual([]);
  });
});

describe("refunds and the janitor", () => {
  it("refunds part then the rest of a paid payment, with payment.refunded each time", async () => {
    const { token, connection } = await tenantWithPaystack();
    const payment = await initiated(token, {});
    await checkout(payment.checkout_url, "pay");
    const [delivery] = await deliveriesFor(payment.provider_reference, "charge.success");
    if (!delivery) throw new Error("no charge.success");
    await deliver(connection.webhookPath, delivery.body, delivery.headers);
    await untilStatus(token, payment.id, "succeeded");
    const refund = (json: Record<string, unknown>) =>
      call(`${PAYMENTS}/${payment.id}/refund`, {
        method: "POST",
        token,
        json,
        headers: { "Idempotency-Key": crypto.randomUUID() },
      });
    const part = await refund({ amount: "250.00" });
    expect(part.status).toBe(200);
    expect((await envelope<PaymentJson>(part)).data).toMatchObject({
      status: "partially_refunded",
      amount_refunded: "250.00",
    });
    expect((await refund({ amount: "1000.01" })).status).toBe(400);
    const rest = await refund({});
    expect((await envelope<PaymentJson>(rest)).data).toMatchObject({
      status: "refunded",
      amount_refunded: "1250.00",
    });
    expect(await eventsOf(token, "payment.refunded")).toHaveLength(2);
    expect((await refund({})).status).toBe(409);
  });

  it("the scheduled janitor fails a Paystack payment the customer failed (Paystack sends no webhook for it)", async () => {
    const { token, tenantId } = await tenantWithPaystack();
    const payment = await initiated(token, {});
    await checkout(payment.checkout_url, "fail");
    expect(await deliveriesFor(payment.provider_reference)).toEqual([]);
    await runScheduled();
    // Not due yet (the first look is a minute after initiation).
    expect(
      (await envelope<PaymentJson>(await call(`${PAYMENTS}/${payment.id}`, { token }))).data.status,
    ).toBe("requires_action");
    await asTenant(
      tenantId,
      sql`update payments set next_verify_at = now() - interval '1 hour' where id = ${payment.id}`,
    );
    await runScheduled();
    const after = await envelope<PaymentJson & { failure_code: string | null }>(
      await call(`${PAYMENTS}/${payment.id}`, { token }),
    );
    expect(after.data.status).toBe("failed");
    expect(await eventsOf(token, "payment.failed")).toHaveLength(1);
  });

  it("the scheduled janitor expires an abandoned checkout once it has closed", async () => {
    const { token, tenantId } = await tenantWithPaystack();
    const payment = await initiated(token, {});
    await asTenant(
      tenantId,
      sql`update payments set next_verify_at = now() - interval '1 hour', expires_at = now() - interval '1 second'
          where id = ${payment.id}`,
    );
    await runScheduled();
    expect(
      (await envelope<PaymentJson>(await call(`${PAYMENTS}/${payment.id}`, { token }))).data.status,
    ).toBe("expired");
    expect(await eventsOf(token, "payment.expired")).toHaveLength(1);
  });
});
