import { describe, expect, it } from "vitest";
import {
  createDraft,
  FINANCE_INVOICES,
  finalized,
  INVOICES,
  invoiceEvents,
  invoices,
  invoiceTenant,
} from "./finance-invoice-helpers";
import {
  checkout,
  connect,
  deliver,
  deliveriesFor,
  type PaymentJson,
  untilStatus,
} from "./finance-webhook-helpers";

const RETURN_URL = "https://shop.example.ng/thanks";

const pay = (
  token: string,
  id: string,
  json: Record<string, unknown> = {},
  key: string | null = crypto.randomUUID(),
  base = INVOICES,
) =>
  invoices<PaymentJson>(
    `/${id}/pay`,
    {
      method: "POST",
      token,
      json: { return_url: RETURN_URL, ...json },
      headers: key === null ? {} : { "Idempotency-Key": key },
    },
    base,
  );

describe("invoices: pay", () => {
  it("pays the amount due through the provider's checkout; the invoice turns paid with invoice.paid", async () => {
    const { token, tenantId } = await invoiceTenant();
    const connection = await connect(token, "paystack");
    const invoice = await finalized(token);
    expect(invoice.amount_due).toBe("2999250.00");

    const { res, status, body } = await pay(token, invoice.id, {}, crypto.randomUUID(), FINANCE_INVOICES);
    expect(status).toBe(201);
    const payment = body.data;
    expect(payment).toMatchObject({ status: "requires_action", amount: "2999250.00", currency: "NGN" });
    expect(payment.checkout_url).toMatch(/^http/);
    expect(payment.provider_reference).toBeTruthy();
    expect(res.headers.get("Location")).toBe(`/api/v1/finance/payments/${payment.id}`);

    // One payment in flight per invoice.
    expect((await pay(token, invoice.id)).status).toBe(409);

    await checkout(payment.checkout_url, "pay");
    const [delivery] = await deliveriesFor(payment.provider_reference, "charge.success");
    if (!delivery) throw new Error("the stand-in sent no charge.success");
    expect((await deliver(connection.webhookPath, delivery.body, delivery.headers)).status).toBe(200);
    await untilStatus(token, payment.id, "succeeded");

    const paid = (await invoices(`/${invoice.id}`, { token })).body.data;
    expect(paid).toMatchObject({
      status: "paid",
      amount_paid: "2999250.00",
      amount_due: "0.00",
      number: "INV-000001",
    });
    expect((await invoiceEvents(tenantId, invoice.id)).map((e) => e.event_type)).toEqual([
      "invoice.created",
      "invoice.finalized",
      "invoice.paid",
    ]);
    // Paid: nothing more to pay.
    const again = await pay(token, invoice.id);
    expect(again.status).toBe(409);
    expect(again.body.errors?.[0]?.message).toContain("this one is paid");
  });

  it("refuses what cannot be paid: no key, a draft, a void invoice, no customer email, a bad return_url", async () => {
    const { token } = await invoiceTenant();
    await connect(token, "paystack");
    const invoice = await finalized(token);
    const noKey = await pay(token, invoice.id, {}, null);
    expect(noKey.status).toBe(400);
    expect(noKey.body.errors?.[0]?.field).toBe("Idempotency-Key");
    expect(
      (await pay(token, invoice.id, { return_url: "http://shop.example.ng/" })).body.errors?.[0]?.field,
    ).toBe("return_url");

    const draft = (await createDraft(token)).body.data;
    const drafted = await pay(token, draft.id);
    expect(drafted.status).toBe(409);
    expect(drafted.body.errors?.[0]?.message).toBe("A draft cannot be paid: finalize it first");

    const voided = await finalized(token);
    await invoices(`/${voided.id}/void`, { method: "POST", token });
    expect((await pay(token, voided.id)).status).toBe(409);

    // A contact without an email: the payer's email must be given.
    const contact = await invoices<{ id: string }>(
      "",
      { method: "POST", token, json: { first_name: "Tolu" } },
      "/api/v1/crm/contacts",
    );
    const noEmail = await finalized(token, { customer: { contact_id: contact.body.data.id } });
    const refused = await pay(token, noEmail.id);
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.field).toBe("customer_email");
    expect((await pay(token, noEmail.id, { customer_email: "tolu@example.ng" })).status).toBe(201);
  });

  it("needs finance.payments.write (a Viewer is refused); another tenant's invoice is 404", async () => {
    const { token, as } = await invoiceTenant();
    const other = await invoiceTenant();
    await connect(token, "paystack");
    const invoice = await finalized(token);
    expect((await pay(await as("Viewer"), invoice.id)).status).toBe(403);
    const theirs = await pay(other.token, invoice.id);
    const missing = await pay(other.token, crypto.randomUUID());
    expect(theirs.status).toBe(404);
    expect(theirs.body.errors).toEqual(missing.body.errors);
    expect((await pay(await as("Member"), invoice.id)).status).toBe(201);
  });
});
