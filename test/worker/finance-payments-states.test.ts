import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hiddenWithout } from "../../workers/api/events/visibility";
import { canTransition } from "../../workers/api/finance/payment-states";
import { ApiError } from "../../workers/api/lib/errors";
import { runPaymentJanitor } from "../../workers/api/services/finance/payment-janitor";
import { transitionPayment } from "../../workers/api/services/finance/payment-transitions";
import { initiatePayment, refundPayment } from "../../workers/api/services/finance/payments";
import { applyProviderEvent, storeProviderEvent } from "../../workers/api/services/finance/webhook-intake";
import {
  countRows,
  FakeConnector,
  financeTenant,
  fixedSource,
  insertConnection,
  insertOpenInvoice,
  outboxOf,
  paymentRow,
  serviceCtx,
} from "./finance-helpers";
import { asTenant, db } from "./oauth-helpers";

/** storeProviderEvent for a live connection: always stores (or finds) the event. */
async function storedEvent(...args: Parameters<typeof storeProviderEvent>) {
  const stored = await storeProviderEvent(...args);
  if (!stored) throw new Error("the event was not stored: its connection is gone");
  return stored;
}

// The payment state machine and its services over the real database, with a connector of the
// test's own (the real connectors and the provider stand-in: finance-webhooks*.test.ts).

async function started(
  provider: "paystack" | "stripe" = "paystack",
  invoice?: { currency: string; total: string },
) {
  const tenantId = await financeTenant();
  const connectionId = await insertConnection(tenantId, provider);
  const connector = new FakeConnector(provider);
  const connectors = fixedSource([{ id: connectionId, connector }]);
  const currency = invoice?.currency ?? "NGN";
  const invoiceId = invoice ? await insertOpenInvoice(tenantId, currency, invoice.total) : undefined;
  const payment = await initiatePayment(
    serviceCtx(tenantId),
    { connectors, ledger: db() },
    {
      amountMinor: 125000n,
      currency,
      customerEmail: "ada@example.ng",
      returnUrl: "https://shop.example/thanks",
      invoiceId,
    },
  );
  return { tenantId, connectionId, connector, connectors, payment, invoiceId };
}

const deps = (tenantId: string) => ({ db: db(), tenantId, region: "eu" as const });
const origin = { actorId: null, correlationId: "test" };

describe("payment states", () => {
  it("allows only forward transitions", () => {
    expect(canTransition("created", "requires_action")).toBe(true);
    expect(canTransition("requires_action", "succeeded")).toBe(true);
    expect(canTransition("succeeded", "failed")).toBe(false);
    expect(canTransition("failed", "succeeded")).toBe(false);
    expect(canTransition("succeeded", "requires_action")).toBe(false);
    expect(canTransition("refunded", "partially_refunded")).toBe(false);
    expect(canTransition("partially_refunded", "refunded")).toBe(true);
    expect(canTransition("succeeded", "disputed")).toBe(true);
    expect(canTransition("expired", "succeeded")).toBe(false);
  });

  it("payment events are shown only to holders of finance.payments.read, invoice events of finance.invoices.read", () => {
    expect(hiddenWithout(["events.read"])).toEqual(expect.arrayContaining(["payment.", "invoice."]));
    expect(hiddenWithout(["events.read", "finance.payments.read"])).not.toContain("payment.");
    expect(hiddenWithout(["events.read", "finance.payments.read"])).toContain("invoice.");
  });

  it("initiate records the attempt, then moves it to requires_action with the checkout and payment.created", async () => {
    const { tenantId, connector, payment } = await started();
    expect(payment).toMatchObject({
      status: "requires_action",
      amount: "1250.00",
      currency: "NGN",
      provider: "paystack",
    });
    expect(payment.checkout_url).toBe(`https://checkout.example/${payment.provider_reference}`);
    expect(connector.initiated[0]).toMatchObject({
      paymentId: payment.id,
      amountMinor: 125000n,
      currency: "NGN",
    });
    expect(payment.provider_reference).toMatch(/^nx-[0-9a-f]{32}$/);
    expect((await outboxOf(tenantId)).map((e) => e.event_type)).toEqual(["payment.created"]);
  });

  it("a provider failure before a link marks the attempt failed and tries the next default; a named connection is not replaced", async () => {
    const tenantId = await financeTenant();
    const first = {
      id: await insertConnection(tenantId, "paystack"),
      connector: new FakeConnector("paystack"),
    };
    const second = {
      id: await insertConnection(tenantId, "flutterwave"),
      connector: new FakeConnector("flutterwave"),
    };
    first.connector.failInitiate = ApiError.unavailable("Paystack is unreachable");
    const connectors = fixedSource([first, second]);
    const input = {
      amountMinor: 5000n,
      currency: "NGN",
      customerEmail: "a@b.ng",
      returnUrl: "https://x.example/r",
    };
    const payment = await initiatePayment(serviceCtx(tenantId), { connectors, ledger: db() }, input);
    expect(payment.provider).toBe("flutterwave");
    const [rows = []] = await asTenant(
      tenantId,
      sql`select provider, status, failure_code from payments order by created_at`,
    );
    expect(rows).toEqual([
      { provider: "paystack", status: "failed", failure_code: "provider_unavailable" },
      { provider: "flutterwave", status: "requires_action", failure_code: null },
    ]);
    expect((await outboxOf(tenantId)).map((e) => e.event_type)).toEqual([
      "payment.failed",
      "payment.created",
    ]);

    await expect(
      initiatePayment(
        serviceCtx(tenantId),
        { connectors, ledger: db() },
        { ...input, connectionId: first.id },
      ),
    ).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    expect(second.connector.initiated).toHaveLength(1);
    expect(await countRows(tenantId, "payments")).toBe(3);
  });

  it("ten concurrent transitions to succeeded move the payment once, with one event", async () => {
    const { tenantId, payment } = await started();
    const moves = await Promise.all(
      Array.from({ length: 10 }, () =>
        transitionPayment({ ...deps(tenantId), paymentId: payment.id }, { to: "succeeded" }, origin),
      ),
    );
    expect(moves.filter(Boolean)).toHaveLength(1);
    expect(
      await transitionPayment({ ...deps(tenantId), paymentId: payment.id }, { to: "failed" }, origin),
    ).toBeUndefined();
    expect((await outboxOf(tenantId)).map((e) => e.event_type)).toEqual([
      "payment.created",
      "payment.succeeded",
    ]);
    expect((await paymentRow(tenantId, payment.id))?.status).toBe("succeeded");
  });

  it("a succeeded payment of an invoice settles it: paid, amount_due 0, invoice.paid in the same transaction", async () => {
    const { tenantId, payment, invoiceId } = await started("paystack", { currency: "NGN", total: "1250.00" });
    const settles = { invoiceId: invoiceId ?? "", amountMinor: 125000n, currency: "NGN" };
    const moves = await Promise.all(
      [1, 2, 3].map(() =>
        transitionPayment({ ...deps(tenantId), paymentId: payment.id }, { to: "succeeded", settles }, origin),
      ),
    );
    // One of three racing moves made it, and only it settled the invoice.
    expect(moves.filter(Boolean)).toHaveLength(1);
    const [rows = []] = await asTenant(
      tenantId,
      sql`select status, amount_paid::text, amount_due::text, paid_at is not null as paid from invoices where id = ${invoiceId}`,
    );
    expect(rows[0]).toEqual({ status: "paid", amount_paid: "1250.00", amount_due: "0.00", paid: true });
    const events = await outboxOf(tenantId);
    // One statement: both events share its timestamp.
    expect(events.map((e) => e.event_type).sort()).toEqual([
      "invoice.paid",
      "payment.created",
      "payment.succeeded",
    ]);
    expect(events.find((e) => e.event_type === "invoice.paid")?.payload.data).toMatchObject({
      id: invoiceId,
      status: "paid",
      amount_due: "0.00",
    });
  });

  it("a partial payment leaves the invoice partially_paid, with invoice.partially_paid and no invoice.paid", async () => {
    const { tenantId, payment, invoiceId } = await started("paystack", { currency: "NGN", total: "2000.00" });
    const settles = { invoiceId: invoiceId ?? "", amountMinor: 125000n, currency: "NGN" };
    await transitionPayment(
      { ...deps(tenantId), paymentId: payment.id },
      { to: "succeeded", settles },
      origin,
    );
    const [rows = []] = await asTenant(
      tenantId,
      sql`select status, amount_due::text from invoices where id = ${invoiceId}`,
    );
    expect(rows[0]).toEqual({ status: "partially_paid", amount_due: "750.00" });
    const types = (await outboxOf(tenantId)).map((e) => e.event_type);
    expect(types).not.toContain("invoice.paid");
    expect(types).toContain("invoice.partially_paid");
  });

  it("a webhook stored ten times at once is one row; applied, it moves the payment once after verify agrees", async () => {
    const { tenantId, connectionId, connector, connectors, payment } = await started();
    const hint = {
      eventKey: `charge.success:${crypto.randomUUID()}`,
      eventType: "charge.success",
      payment: { providerReference: payment.provider_reference },
    };
    const stored = await Promise.all(
      Array.from({ length: 10 }, () =>
        storedEvent(
          db(),
          tenantId,
          { id: connectionId, provider: "paystack" },
          hint,
          '{"event":"charge.success"}',
        ),
      ),
    );
    expect(stored.filter((s) => s.inserted)).toHaveLength(1);
    expect(new Set(stored.map((s) => s.id)).size).toBe(1);
    const [events = []] = await asTenant(
      tenantId,
      sql`select duplicates, state, payment_id from provider_events`,
    );
    expect(events).toEqual([{ duplicates: 9, state: "received", payment_id: payment.id }]);

    connector.truth = { status: "succeeded" };
    const applyDeps = { db: db(), region: "eu" as const, connectors, correlationId: "t" };
    const eventId = stored[0]?.id ?? "";
    const outcomes = await Promise.all([1, 2, 3].map(() => applyProviderEvent(applyDeps, tenantId, eventId)));
    expect(outcomes.filter((o) => o.kind === "moved")).toHaveLength(1);
    expect((await paymentRow(tenantId, payment.id))?.status).toBe("succeeded");
    expect((await outboxOf(tenantId)).filter((e) => e.event_type === "payment.succeeded")).toHaveLength(1);
    const [after = []] = await asTenant(
      tenantId,
      sql`select state, processed_at is not null as done from provider_events`,
    );
    expect(after).toEqual([{ state: "applied", done: true }]);
  });

  it("a verify that disagrees on the amount ignores the event: payment untouched, no event, counted", async () => {
    const { tenantId, connectionId, connector, connectors, payment } = await started();
    const hint = {
      eventKey: "charge.success:1",
      eventType: "charge.success",
      payment: { providerReference: payment.provider_reference },
    };
    const stored = await storedEvent(db(), tenantId, { id: connectionId, provider: "paystack" }, hint, "{}");
    connector.truth = { status: "succeeded", amountMinor: 100n };
    const outcome = await applyProviderEvent(
      { db: db(), region: "eu", connectors, correlationId: "t" },
      tenantId,
      stored.id,
    );
    expect(outcome.kind).toBe("mismatch");
    expect((await paymentRow(tenantId, payment.id))?.status).toBe("requires_action");
    expect((await outboxOf(tenantId)).map((e) => e.event_type)).toEqual(["payment.created"]);
    const [rows = []] = await asTenant(
      tenantId,
      sql`select e.state, e.last_error, c.webhook_rejections::int as rejections
          from provider_events e join payment_connections c on c.id = e.connection_id`,
    );
    expect(rows[0]).toMatchObject({ state: "ignored", rejections: 1 });
    expect(String((rows[0] as { last_error: string }).last_error)).toContain("amount");
  });

  it("an event about no payment of ours is stored ignored and never applied", async () => {
    const { tenantId, connectionId } = await started();
    const stored = await storedEvent(
      db(),
      tenantId,
      { id: connectionId, provider: "paystack" },
      {
        eventKey: "charge.success:x",
        eventType: "charge.success",
        payment: { providerReference: "someone-else" },
      },
      "{}",
    );
    expect(stored.state).toBe("ignored");
  });

  it("the janitor fails a payment the provider says failed, and expires one whose checkout closed", async () => {
    const { tenantId, connector, connectors, payment } = await started();
    const other = await initiatePayment(
      serviceCtx(tenantId),
      { connectors, ledger: db() },
      { amountMinor: 9900n, currency: "NGN", customerEmail: "b@c.ng", returnUrl: "https://x.example/r" },
    );
    // Not due yet: the janitor leaves both alone.
    connector.truth = { status: "failed", failureCode: "declined", failureMessage: "Declined" };
    await runPaymentJanitor({
      db: db(),
      region: "eu",
      connectorsFor: () => connectors,
      onlyTenants: [tenantId],
    });
    expect((await paymentRow(tenantId, payment.id))?.status).toBe("requires_action");

    await asTenant(
      tenantId,
      sql`update payments set next_verify_at = now() - interval '1 second' where id = ${payment.id}`,
    );
    const result = await runPaymentJanitor({
      db: db(),
      region: "eu",
      connectorsFor: () => connectors,
      onlyTenants: [tenantId],
    });
    expect(result.moved).toBeGreaterThanOrEqual(1);
    const failed = await paymentRow(tenantId, payment.id);
    expect(failed).toMatchObject({ status: "failed", failure_code: "declined", next_verify_at: null });

    // Still abandoned at the provider, checkout closed: expired.
    connector.truth = { status: "requires_action" };
    await asTenant(
      tenantId,
      sql`update payments set next_verify_at = now() - interval '1 second', expires_at = now() - interval '1 second' where id = ${other.id}`,
    );
    await runPaymentJanitor({
      db: db(),
      region: "eu",
      connectorsFor: () => connectors,
      onlyTenants: [tenantId],
    });
    expect((await paymentRow(tenantId, other.id))?.status).toBe("expired");
    const types = (await outboxOf(tenantId)).map((e) => e.event_type);
    expect(types.filter((t) => t === "payment.failed")).toHaveLength(1);
    expect(types.filter((t) => t === "payment.expired")).toHaveLength(1);
  });

  it("an attempt left created (its link never reached anyone) is canceled by the janitor once the provider cannot confirm it", async () => {
    const { tenantId, connector, connectors, payment, invoiceId } = await started("paystack", {
      currency: "NGN",
      total: "1250.00",
    });
    // What a request that died between its two writes leaves behind.
    await asTenant(
      tenantId,
      sql`update payments set status = 'created', checkout_url = null,
            created_at = now() - interval '10 minutes', next_verify_at = now() - interval '1 second'
          where id = ${payment.id}`,
    );
    connector.failVerify = new Error("Transaction reference not found");
    await runPaymentJanitor({
      db: db(),
      region: "eu",
      connectorsFor: () => connectors,
      onlyTenants: [tenantId],
    });
    expect(await paymentRow(tenantId, payment.id)).toMatchObject({
      status: "canceled",
      failure_code: "checkout_never_issued",
    });
    expect((await outboxOf(tenantId)).map((e) => e.event_type)).toContain("payment.canceled");
    // Its invoice takes a new payment at once.
    connector.failVerify = undefined;
    const again = await initiatePayment(
      serviceCtx(tenantId),
      { connectors, ledger: db() },
      {
        amountMinor: 125000n,
        currency: "NGN",
        customerEmail: "a@b.ng",
        returnUrl: "https://x.example/r",
        invoiceId,
      },
    );
    expect(again.status).toBe("requires_action");
  });

  it("a new attempt for an invoice replaces one stuck in created past the grace, and not a fresh one", async () => {
    const { tenantId, connectors, payment, invoiceId } = await started("paystack", {
      currency: "NGN",
      total: "1250.00",
    });
    const input = {
      amountMinor: 125000n,
      currency: "NGN",
      customerEmail: "a@b.ng",
      returnUrl: "https://x.example/r",
      invoiceId,
    };
    await asTenant(tenantId, sql`update payments set status = 'created' where id = ${payment.id}`);
    // Recorded a moment ago: it may still be getting its link, so it holds the invoice.
    await expect(
      initiatePayment(serviceCtx(tenantId), { connectors, ledger: db() }, input),
    ).rejects.toMatchObject({ status: 409 });
    await asTenant(
      tenantId,
      sql`update payments set created_at = now() - interval '10 minutes' where id = ${payment.id}`,
    );
    const replacement = await initiatePayment(serviceCtx(tenantId), { connectors, ledger: db() }, input);
    expect(replacement.status).toBe("requires_action");
    expect(await paymentRow(tenantId, payment.id)).toMatchObject({
      status: "canceled",
      failure_code: "checkout_never_issued",
    });
  });

  it("the janitor applies a stored event its request never applied (a Worker that died after the 200)", async () => {
    const { tenantId, connectionId, connector, connectors, payment } = await started();
    const hint = {
      eventKey: "charge.success:left",
      eventType: "charge.success",
      payment: { providerReference: payment.provider_reference },
    };
    const stored = await storedEvent(db(), tenantId, { id: connectionId, provider: "paystack" }, hint, "{}");
    connector.truth = { status: "succeeded" };
    // Fresh: still its request's own to apply.
    await runPaymentJanitor({
      db: db(),
      region: "eu",
      connectorsFor: () => connectors,
      onlyTenants: [tenantId],
    });
    expect((await paymentRow(tenantId, payment.id))?.status).toBe("requires_action");
    await asTenant(
      tenantId,
      sql`update provider_events set received_at = now() - interval '2 minutes' where id = ${stored.id}`,
    );
    const result = await runPaymentJanitor({
      db: db(),
      region: "eu",
      connectorsFor: () => connectors,
      onlyTenants: [tenantId],
    });
    expect(result.eventsApplied).toBeGreaterThanOrEqual(1);
    expect((await paymentRow(tenantId, payment.id))?.status).toBe("succeeded");
    const [rows = []] = await asTenant(
      tenantId,
      sql`select state, attempts from provider_events where id = ${stored.id}`,
    );
    expect(rows).toEqual([{ state: "applied", attempts: 1 }]);
  });

  it("the janitor backs off while the customer has not paid yet", async () => {
    const { tenantId, connectors, payment } = await started();
    await asTenant(
      tenantId,
      sql`update payments set next_verify_at = now() - interval '1 second' where id = ${payment.id}`,
    );
    await runPaymentJanitor({
      db: db(),
      region: "eu",
      connectorsFor: () => connectors,
      onlyTenants: [tenantId],
    });
    const row = await paymentRow(tenantId, payment.id);
    expect(row?.status).toBe("requires_action");
    expect(row?.verify_attempts).toBe(1);
    expect(new Date(String(row?.next_verify_at)).getTime()).toBeGreaterThan(Date.now() + 4 * 60_000);
  });

  it("refunds in part then in full, never more than was paid", async () => {
    const { tenantId, connector, connectors, payment } = await started();
    await transitionPayment({ ...deps(tenantId), paymentId: payment.id }, { to: "succeeded" }, origin);
    const toMinor = (a: string) => BigInt(a.replace(".", ""));
    const part = await refundPayment(serviceCtx(tenantId), connectors, payment.id, toMinor, "250.00");
    expect(part.payment).toMatchObject({ status: "partially_refunded", amount_refunded: "250.00" });
    await expect(
      refundPayment(serviceCtx(tenantId), connectors, payment.id, toMinor, "1000.01"),
    ).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    const rest = await refundPayment(serviceCtx(tenantId), connectors, payment.id, toMinor, undefined);
    expect(rest.payment).toMatchObject({ status: "refunded", amount_refunded: "1250.00" });
    expect(rest.refund.amount).toBe("1000.00");
    expect(connector.refunds.map((r) => r.amount)).toEqual([25000n, 100000n]);
    await expect(
      refundPayment(serviceCtx(tenantId), connectors, payment.id, toMinor, undefined),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect((await outboxOf(tenantId)).filter((e) => e.event_type === "payment.refunded")).toHaveLength(2);
  });
});
