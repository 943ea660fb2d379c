import { describe, expect, it } from "vitest";
import { InvoiceListItem, Invoice as InvoiceSchema } from "../../workers/api/schemas/invoice";
import {
  createDraft,
  FINANCE_INVOICES,
  fieldsOf,
  type Invoice,
  invoiceEvents,
  invoices,
  invoiceTenant,
  NGN_DRAFT,
  newContact,
} from "./finance-invoice-helpers";
import { call, envelope } from "./helpers";

const line = (
  description: string,
  quantity: number,
  unit_price: string,
  tax_rate: string,
  discount?: string,
) => ({
  description,
  quantity,
  unit_price,
  tax_rate,
  ...(discount === undefined ? {} : { discount }),
});

describe("invoices: drafts with exact totals", () => {
  it("creates an NGN draft at 7.5% VAT: no number, totals and lines computed exactly, Location, invoice.created", async () => {
    const { token, tenantId } = await invoiceTenant();
    const { res, status, body } = await createDraft(token);
    expect(status).toBe(201);
    const invoice = body.data;
    expect(res.headers.get("Location")).toBe(`/api/v1/invoices/${invoice.id}`);
    expect(InvoiceSchema.parse(invoice)).toBeTruthy();
    expect(invoice).toMatchObject({
      status: "draft",
      number: null,
      series: "INV",
      currency: "NGN",
      issue_date: null,
      due_date: "2026-12-31",
      supplier: null,
      subtotal: "2790000.00",
      discount_total: "0.00",
      tax_total: "209250.00",
      total: "2999250.00",
      amount_paid: "0.00",
      amount_due: "2999250.00",
      tax_breakdown: [{ rate: "7.5", taxable: "2790000.00", tax: "209250.00" }],
      einvoice: { irn: null, csid: null, qr: null, clearance_status: "not_required" },
      revision: 1,
      customer: {
        contact_id: null,
        name: "Ọ̀ṣọ́ Adébáyọ̀",
        email: "osho@example.ng",
        address: ["Plot 7, Ọ̀rọ̀ Close", "Ìbàdàn"],
        tax_id: null,
      },
    });
    expect(invoice.lines).toMatchObject([
      {
        position: 1,
        quantity: 1,
        unit_price: "1250000.00",
        tax_rate: "7.5",
        net_amount: "1250000.00",
        tax_amount: "93750.00",
      },
      {
        position: 2,
        quantity: 4,
        unit_price: "385000.00",
        tax_rate: "7.5",
        net_amount: "1540000.00",
        tax_amount: "115500.00",
      },
    ]);

    const read = await invoices(`/${invoice.id}`, { token }, FINANCE_INVOICES);
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual(invoice);

    const events = await invoiceEvents(tenantId, invoice.id);
    expect(events.map((e) => e.event_type)).toEqual(["invoice.created"]);
    expect(events[0]?.payload.data).toEqual(invoice);
    expect(events[0]?.payload.source).toBe("finance-service");
  });

  it("mixed 19% and 7% EUR lines with discounts: per-rate breakdown, where float arithmetic would be off", async () => {
    const { token } = await invoiceTenant();
    const { status, body } = await createDraft(token, {
      currency: "EUR",
      lines: [
        // 3 × 0.10 = 0.30 exactly (0.1 * 3 is 0.30000000000000004 in floats).
        line("Bolts", 3, "0.10", "19"),
        // 1.005 rounds half away from zero to 1.01 (floats give 1.00); its tax 0.19095 → 0.19.
        line("Quarter-unit service", 0.5, "2.01", "19"),
        // 7% of 1.50 is 0.105 → 0.11.
        line("Book", 1, "1.50", "7"),
        // 2.5 × 19.99 = 49.975 → 49.98 less 4.98 discount = 45.00; 7% → 3.15.
        line("Paper, discounted", 2.5, "19.99", "7", "4.98"),
      ],
    });
    expect(status).toBe(201);
    const invoice = body.data;
    expect(invoice.lines.map((l) => [l.net_amount, l.tax_amount, l.discount])).toEqual([
      ["0.30", "0.06", "0.00"],
      ["1.01", "0.19", "0.00"],
      ["1.50", "0.11", "0.00"],
      ["45.00", "3.15", "4.98"],
    ]);
    expect(invoice.tax_breakdown).toEqual([
      { rate: "7", taxable: "46.50", tax: "3.26" },
      { rate: "19", taxable: "1.31", tax: "0.25" },
    ]);
    expect(invoice).toMatchObject({
      subtotal: "52.79",
      discount_total: "4.98",
      tax_total: "3.51",
      total: "51.32",
      amount_due: "51.32",
    });
    expect(invoice.lines[1]?.quantity).toBe(0.5);
  });

  it("a zero-decimal currency (JPY) keeps whole amounts; a three-decimal one (KWD) is refused with a clear message", async () => {
    const { token } = await invoiceTenant();
    const jpy = await createDraft(token, {
      currency: "JPY",
      lines: [line("Tea", 1.5, "101", "10")],
    });
    expect(jpy.status).toBe(201);
    // 1.5 × 101 = 151.5 → 152 yen; 10% → 15.2 → 15.
    expect(jpy.body.data).toMatchObject({
      subtotal: "152",
      tax_total: "15",
      total: "167",
      amount_due: "167",
    });
    expect(jpy.body.data.lines[0]).toMatchObject({ unit_price: "101", net_amount: "152", tax_amount: "15" });

    const decimals = await createDraft(token, { currency: "JPY", lines: [line("Tea", 1, "101.5", "10")] });
    expect(decimals.status).toBe(400);
    expect(fieldsOf(decimals.body)).toEqual(["lines.0.unit_price"]);
    expect(decimals.body.errors?.[0]?.message).toContain("whole number of JPY");

    const kwd = await createDraft(token, { currency: "KWD", lines: [line("Dates", 1, "1.250", "0")] });
    expect(kwd.status).toBe(400);
    expect(kwd.body.errors?.[0]).toMatchObject({ field: "currency" });
    expect(kwd.body.errors?.[0]?.message).toContain("KWD has 3");
  });

  it("refuses invalid input with one error per field", async () => {
    const { token } = await invoiceTenant();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ currency: "XYZ" }, ["currency"]],
      [{ due_date: "2026-02-30" }, ["due_date"]],
      [{ lines: [] }, ["lines"]],
      [{ lines: Array.from({ length: 501 }, () => line("x", 1, "1.00", "0")) }, ["lines"]],
      [{ lines: [line("x", 0, "1.00", "0")] }, ["lines.0.quantity"]],
      [{ lines: [line("x", -2, "1.00", "0")] }, ["lines.0.quantity"]],
      [{ lines: [line("x", 1.00001, "1.00", "0")] }, ["lines.0.quantity"]],
      [{ lines: [line("x", 1, "1.001", "0")] }, ["lines.0.unit_price"]],
      [{ lines: [line("x", 1, "-1.00", "0")] }, ["lines.0.unit_price"]],
      [{ lines: [line("x", 1, "1e3", "0")] }, ["lines.0.unit_price"]],
      [{ lines: [line("x", 1, "99999999999.00", "0")] }, ["lines.0.unit_price"]],
      [{ lines: [{ ...line("x", 1, "1.00", "0"), unit_price: 1 }] }, ["lines.0.unit_price"]],
      [{ lines: [line("x", 1, "1.00", "101")] }, ["lines.0.tax_rate"]],
      [{ lines: [line("x", 1, "1.00", "7.5555")] }, ["lines.0.tax_rate"]],
      [{ lines: [line("x", 2, "1.00", "0", "2.01")] }, ["lines.0.discount"]],
      [{ lines: [line("ok", 1, "1.00", "0"), line("", 1, "1.00", "0")] }, ["lines.1.description"]],
      [{ customer: {} }, ["customer.name", "customer.email"]],
      [{ customer: { name: "A" } }, ["customer.email"]],
      [{ customer: { contact_id: crypto.randomUUID(), name: "A" } }, ["customer.name"]],
      [{ customer: { name: "A", email: "not-an-email" } }, ["customer.email"]],
      [{ series: "inv" }, ["series"]],
      [{ locale: "not a locale" }, ["locale"]],
      [{ number: "INV-000001" }, [""]],
    ];
    for (const [change, fields] of cases) {
      const { status, body } = await createDraft(token, change);
      const label = JSON.stringify(change).slice(0, 120);
      expect(status, label).toBe(400);
      expect(
        body.errors?.every((e) => e.code === "VALIDATION_ERROR"),
        label,
      ).toBe(true);
      if (fields[0] === "") expect(body.errors?.[0]?.message, label).toContain("Unknown");
      else expect(fieldsOf(body), label).toEqual(fields);
    }
  });

  it("refuses totals past numeric(12,2) with a 400, not a 500", async () => {
    const { token } = await invoiceTenant();
    const { status, body } = await createDraft(token, {
      lines: [line("big", 2, "9999999999.99", "0")],
    });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toContain("9999999999.99");
  });

  it("a contact customer is snapshotted (name, email); another tenant's or a missing contact is a 400 on customer.contact_id", async () => {
    const mine = await invoiceTenant();
    const other = await invoiceTenant();
    const contact = await newContact(mine.token);
    const { status, body } = await createDraft(mine.token, {
      customer: { contact_id: contact.id, tax_id: "TIN 1234" },
    });
    expect(status).toBe(201);
    expect(body.data.customer).toEqual({
      contact_id: contact.id,
      name: "Adébáyọ̀ Ọláńrewájú",
      email: contact.email,
      address: null,
      tax_id: "TIN 1234",
    });
    const theirs = await createDraft(other.token, { customer: { contact_id: contact.id } });
    const missing = await createDraft(other.token, { customer: { contact_id: crypto.randomUUID() } });
    for (const refused of [theirs, missing]) {
      expect(refused.status).toBe(400);
      expect(fieldsOf(refused.body)).toEqual(["customer.contact_id"]);
    }
    expect(theirs.body.errors).toEqual(missing.body.errors);
  });

  it("lists newest first without lines, filters by status, pages with a cursor", async () => {
    const { token } = await invoiceTenant();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createDraft(token)).body.data.id);
    const finalized = await invoices(`/${ids[0]}/finalize`, { method: "POST", token });
    expect(finalized.status).toBe(200);

    const first = await invoices<Invoice[]>("?limit=2", { token });
    expect(first.status).toBe(200);
    expect(first.body.data.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.meta?.has_more).toBe(true);
    for (const item of first.body.data) {
      expect(InvoiceListItem.strict().parse(item)).toBeTruthy();
      expect(item).not.toHaveProperty("lines");
    }
    const next = await invoices<Invoice[]>(`?limit=2&cursor=${first.body.meta?.cursor}`, { token });
    expect(next.body.data.map((i) => i.id)).toEqual([ids[0]]);
    expect(next.body.meta?.has_more).toBe(false);

    const open = await invoices<Invoice[]>("?status=open", { token }, FINANCE_INVOICES);
    expect(open.body.data.map((i) => i.id)).toEqual([ids[0]]);
    const bad = await invoices("?status=unpaid", { token });
    expect(bad.status).toBe(400);
  });
});

describe("invoices: editing drafts", () => {
  it("PATCH replaces lines and recomputes totals, changes the customer, bumps revision, emits invoice.updated", async () => {
    const { token, tenantId } = await invoiceTenant();
    const draft = (await createDraft(token)).body.data;
    const contact = await newContact(token, { first_name: "Chiamaka", last_name: null });
    const { status, body } = await invoices(`/${draft.id}`, {
      method: "PATCH",
      token,
      json: {
        lines: [line("Panel 450 W", 3, "0.10", "7.5")],
        customer: { contact_id: contact.id },
        due_date: "2027-01-31",
        notes: "Ẹ ṣé o!",
      },
    });
    expect(status).toBe(200);
    expect(body.data).toMatchObject({
      revision: 2,
      due_date: "2027-01-31",
      notes: "Ẹ ṣé o!",
      subtotal: "0.30",
      tax_total: "0.02",
      total: "0.32",
      amount_due: "0.32",
      tax_breakdown: [{ rate: "7.5", taxable: "0.30", tax: "0.02" }],
      customer: { contact_id: contact.id, name: "Chiamaka", email: contact.email },
    });
    expect(body.data.lines).toHaveLength(1);
    expect(body.data.lines[0]).toMatchObject({ position: 1, description: "Panel 450 W", net_amount: "0.30" });

    const notesOnly = await invoices(`/${draft.id}`, { method: "PATCH", token, json: { notes: null } });
    expect(notesOnly.body.data).toMatchObject({ revision: 3, notes: null, total: "0.32" });
    expect(notesOnly.body.data.lines).toHaveLength(1);

    const events = await invoiceEvents(tenantId, draft.id);
    expect(events.map((e) => e.event_type)).toEqual([
      "invoice.created",
      "invoice.updated",
      "invoice.updated",
    ]);
    expect(events[1]?.payload.data.total).toBe("0.32");
  });

  it("refuses bad patches: amounts checked against the invoice's currency, currency fixed, unknown contact", async () => {
    const { token } = await invoiceTenant();
    const jpy = (await createDraft(token, { currency: "JPY", lines: [line("Tea", 1, "100", "0")] })).body
      .data;
    const cases: [Record<string, unknown>, string[]][] = [
      [{ lines: [line("Tea", 1, "100.50", "0")] }, ["lines.0.unit_price"]],
      [{ currency: "EUR" }, ["currency"]],
      [{ customer: { contact_id: crypto.randomUUID() } }, ["customer.contact_id"]],
      [{ lines: [] }, ["lines"]],
    ];
    for (const [json, fields] of cases) {
      const { status, body } = await invoices(`/${jpy.id}`, { method: "PATCH", token, json });
      expect(status, JSON.stringify(json)).toBe(400);
      expect(fieldsOf(body), JSON.stringify(json)).toEqual(fields);
    }
    const empty = await invoices(`/${jpy.id}`, { method: "PATCH", token, json: {} });
    expect(empty.status).toBe(400);
    const after = await invoices(`/${jpy.id}`, { token });
    expect(after.body.data).toMatchObject({ revision: 1, total: "100", currency: "JPY" });
  });

  it("only drafts are editable or deletable: 409 with a clear message once finalized; a deleted draft is gone", async () => {
    const { token, tenantId } = await invoiceTenant();
    const draft = (await createDraft(token)).body.data;
    expect((await invoices(`/${draft.id}/finalize`, { method: "POST", token })).status).toBe(200);
    const patch = await invoices(`/${draft.id}`, { method: "PATCH", token, json: { notes: "late" } });
    expect(patch.status).toBe(409);
    expect(patch.body.errors?.[0]?.message).toBe(
      "Only a draft invoice can be changed; this one is open (void it and create a new one to change it)",
    );
    const del = await invoices(`/${draft.id}`, { method: "DELETE", token });
    expect(del.status).toBe(409);
    expect((await invoices(`/${draft.id}`, { token })).body.data).toMatchObject({
      status: "open",
      notes: null,
    });

    const other = (await createDraft(token)).body.data;
    expect((await invoices(`/${other.id}`, { method: "DELETE", token })).status).toBe(204);
    expect((await invoices(`/${other.id}`, { token })).status).toBe(404);
    const list = await invoices<Invoice[]>("", { token });
    expect(list.body.data.map((i) => i.id)).not.toContain(other.id);
    expect((await invoiceEvents(tenantId, other.id)).map((e) => e.event_type)).toEqual([
      "invoice.created",
      "invoice.deleted",
    ]);
  });

  it("answers the same invoice on both base paths", async () => {
    const { token } = await invoiceTenant();
    const created = await createDraft(token, {}, FINANCE_INVOICES);
    expect(created.res.headers.get("Location")).toBe(`${FINANCE_INVOICES}/${created.body.data.id}`);
    const res = await call(`/api/v1/invoices/${created.body.data.id}`, { token });
    expect((await envelope<Invoice>(res)).data).toEqual(created.body.data);
    expect(NGN_DRAFT.currency).toBe("NGN");
  });
});
