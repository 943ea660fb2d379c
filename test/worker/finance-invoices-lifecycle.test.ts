import { describe, expect, it } from "vitest";
import { FAULT_HEADER } from "../../workers/api/lib/test-faults";
import {
  createDraft,
  finalized,
  type Invoice,
  invoiceEvents,
  invoices,
  invoiceTenant,
  lastNumber,
  newContact,
  settle,
} from "./finance-invoice-helpers";
import { call, envelope, tokenFor } from "./helpers";

const finalize = (token: string, id: string, headers: Record<string, string> = {}) =>
  invoices(`/${id}/finalize`, { method: "POST", token, headers });

const todayUtc = () => new Date().toISOString().slice(0, 10);

describe("invoices: finalize and numbering", () => {
  it("finalize numbers the draft INV-000001, dates it, fixes supplier and customer, emits invoice.finalized", async () => {
    const { token, tenantId } = await invoiceTenant({
      billing: { address: ["14 Adéọlá Odékù Street", "Victoria Island, Lagos"], tax_id: "TIN 12345678-0001" },
    });
    const contact = await newContact(token);
    const draft = (await createDraft(token, { customer: { contact_id: contact.id } })).body.data;
    // The contact changes after the draft was made: finalize prints the current name and email.
    const edited = await call(`/api/v1/crm/contacts/${contact.id}`, {
      method: "PUT",
      token,
      json: { first_name: "Adébáyọ̀", last_name: "Ọlá", email: "ola@example.ng" },
    });
    expect(edited.status).toBe(200);
    const { status, body } = await finalize(token, draft.id);
    expect(status).toBe(200);
    expect(body.data).toMatchObject({
      status: "open",
      number: "INV-000001",
      issue_date: todayUtc(),
      revision: 2,
      supplier: {
        name: "Ìmọ́lẹ̀ Solar Ltd",
        email: null,
        address: ["14 Adéọlá Odékù Street", "Victoria Island, Lagos"],
        tax_id: "TIN 12345678-0001",
      },
      customer: { contact_id: contact.id, name: "Adébáyọ̀ Ọlá", email: "ola@example.ng" },
      total: "2999250.00",
      amount_due: "2999250.00",
      einvoice: { irn: null, csid: null, qr: null, clearance_status: "not_required" },
    });
    expect(body.data.finalized_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const events = await invoiceEvents(tenantId, draft.id);
    expect(events.map((e) => e.event_type)).toEqual(["invoice.created", "invoice.finalized"]);
    expect(events[1]?.payload.data).toEqual(body.data);

    const again = await finalize(token, draft.id);
    expect(again.status).toBe(409);
    expect(again.body.errors?.[0]?.message).toBe("Only a draft invoice can be finalized; this one is open");
    expect(await lastNumber(tenantId)).toBe(1);
  });

  it("a tenant without billing details is printed by its name alone", async () => {
    const { token } = await invoiceTenant({ name: "Bäckerei Größe GmbH" });
    const invoice = await finalized(token, { currency: "EUR" });
    expect(invoice.supplier).toEqual({
      name: "Bäckerei Größe GmbH",
      email: null,
      address: null,
      tax_id: null,
    });
  });

  it("two concurrent finalizes get consecutive numbers", async () => {
    const { token, tenantId } = await invoiceTenant();
    const [a, b] = [(await createDraft(token)).body.data, (await createDraft(token)).body.data];
    const done = await Promise.all([finalize(token, a!.id), finalize(token, b!.id)]);
    expect(done.map((d) => d.status)).toEqual([200, 200]);
    expect(done.map((d) => d.body.data.number).sort()).toEqual(["INV-000001", "INV-000002"]);
    expect(await lastNumber(tenantId)).toBe(2);
  });

  it("ten invoices finalized in parallel get 1..10 with no gap; each series counts on its own", async () => {
    const { token, tenantId } = await invoiceTenant();
    const drafts: Invoice[] = [];
    for (let i = 0; i < 10; i++) drafts.push((await createDraft(token)).body.data);
    const ng = (await createDraft(token, { series: "INV-NG" })).body.data;
    const done = await Promise.all([...drafts, ng].map((d) => finalize(token, d.id)));
    expect(done.every((d) => d.status === 200)).toBe(true);
    const numbers = done.slice(0, 10).map((d) => d.body.data.number);
    expect(numbers.sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `INV-${String(i + 1).padStart(6, "0")}`),
    );
    expect(done[10]?.body.data.number).toBe("INV-NG-000001");
    expect(await lastNumber(tenantId)).toBe(10);
    expect(await lastNumber(tenantId, "INV-NG")).toBe(1);
    // Concurrent double finalizes of one draft: exactly one wins, and it takes one number.
    const twice = (await createDraft(token)).body.data;
    const racing = await Promise.all([finalize(token, twice.id), finalize(token, twice.id)]);
    expect(racing.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await lastNumber(tenantId)).toBe(11);
  });

  it("a finalize the e-invoice clearance refuses (409) or cannot reach (503) stays a draft and burns no number", async () => {
    const { token, tenantId } = await invoiceTenant();
    expect((await finalized(token)).number).toBe("INV-000001");
    const draft = (await createDraft(token)).body.data;

    const refused = await finalize(token, draft.id, { [FAULT_HEADER]: "einvoice:reject" });
    expect(refused.status).toBe(409);
    expect(refused.body.errors?.[0]?.message).toContain("e-invoice clearance refused the invoice");
    const failed = await finalize(token, draft.id, { [FAULT_HEADER]: "einvoice:fail" });
    expect(failed.status).toBe(503);
    expect(failed.res.headers.get("Retry-After")).toBe("30");

    const still = (await invoices(`/${draft.id}`, { token })).body.data;
    expect(still).toMatchObject({
      status: "draft",
      number: null,
      revision: 1,
      issue_date: null,
      supplier: null,
    });
    expect(await lastNumber(tenantId)).toBe(1);
    expect((await invoiceEvents(tenantId, draft.id)).map((e) => e.event_type)).toEqual(["invoice.created"]);

    // The next finalize gets the number the failed ones did not keep.
    expect((await finalize(token, draft.id)).body.data.number).toBe("INV-000002");
  });

  it("with an Idempotency-Key too: a refused finalize keeps no number, its 409 is what the key replays", async () => {
    const { token, tenantId } = await invoiceTenant();
    const draft = (await createDraft(token)).body.data;
    const key = { "Idempotency-Key": crypto.randomUUID() };
    const refused = await finalize(token, draft.id, { ...key, [FAULT_HEADER]: "einvoice:reject" });
    expect(refused.status).toBe(409);
    expect(await lastNumber(tenantId)).toBe(0);
    expect((await invoices(`/${draft.id}`, { token })).body.data).toMatchObject({
      status: "draft",
      number: null,
    });
    const replayed = await finalize(token, draft.id, { ...key, [FAULT_HEADER]: "einvoice:reject" });
    expect(replayed.res.headers.get("Idempotent-Replayed")).toBe("true");
    const failed = await finalize(token, draft.id, {
      "Idempotency-Key": crypto.randomUUID(),
      [FAULT_HEADER]: "einvoice:fail",
    });
    expect(failed.status).toBe(503);
    expect(await lastNumber(tenantId)).toBe(0);
    const done = await finalize(token, draft.id, { "Idempotency-Key": crypto.randomUUID() });
    expect(done.body.data.number).toBe("INV-000001");
  });

  it("stores and shows what the clearance answers (IRN, CSID, QR, cleared)", async () => {
    const { token } = await invoiceTenant();
    const draft = (await createDraft(token)).body.data;
    const { status, body } = await finalize(token, draft.id, { [FAULT_HEADER]: "einvoice:clear" });
    expect(status).toBe(200);
    expect(body.data.einvoice).toEqual({
      irn: `INV-000001-TEST0001-${todayUtc().replaceAll("-", "")}`,
      csid: "CSID-TEST-0001",
      qr: "https://einvoice.test/verify?irn=INV-000001",
      clearance_status: "cleared",
    });
    expect((await invoices(`/${draft.id}`, { token })).body.data.einvoice.clearance_status).toBe("cleared");
  });

  it("an invoice with nothing due is paid at finalize (invoice.finalized and invoice.paid)", async () => {
    const { token, tenantId } = await invoiceTenant();
    const draft = (
      await createDraft(token, {
        lines: [
          { description: "Goodwill", quantity: 1, unit_price: "100.00", tax_rate: "7.5", discount: "100.00" },
        ],
      })
    ).body.data;
    expect(draft.total).toBe("0.00");
    const { body } = await finalize(token, draft.id);
    expect(body.data).toMatchObject({ status: "paid", number: "INV-000001", amount_due: "0.00" });
    expect(body.data.paid_at).not.toBeNull();
    expect((await invoiceEvents(tenantId, draft.id)).map((e) => e.event_type)).toEqual([
      "invoice.created",
      "invoice.finalized",
      "invoice.paid",
    ]);
  });

  it("a PATCH racing a finalize either lands before it (and is numbered with it) or is refused: never lines changed on a numbered invoice", async () => {
    const { token } = await invoiceTenant();
    const newLines = [{ description: "Replacement", quantity: 3, unit_price: "0.10", tax_rate: "7.5" }];
    const outcomes = new Set<number>();
    // The PATCH sent later each round (0 to 484 ms), so that some land while the finalize holds the invoice.
    for (let round = 0; round < 12; round++) {
      const draft = (await createDraft(token)).body.data;
      const [patched, done] = await Promise.all([
        new Promise((resolve) => setTimeout(resolve, round * round * 4)).then(() =>
          invoices(`/${draft.id}`, { method: "PATCH", token, json: { lines: newLines } }),
        ),
        finalize(token, draft.id),
      ]);
      outcomes.add(patched.status);
      expect(done.status).toBe(200);
      expect([200, 409]).toContain(patched.status);
      const after = (await invoices(`/${draft.id}`, { token })).body.data;
      expect(after.status).toBe("open");
      if (patched.status === 200) {
        expect(after).toMatchObject({ total: "0.32", revision: 3 });
        expect(after.lines.map((l) => l.description)).toEqual(["Replacement"]);
      } else {
        expect(after).toMatchObject({ total: "2999250.00", revision: 2 });
        expect(after.lines).toHaveLength(2);
      }
      expect(done.body.data.total).toBe(after.total);
    }
    // Both outcomes happened: the race was run, not just the two orders one after the other.
    expect([...outcomes].sort()).toEqual([200, 409]);
  });

  it("accepts an Idempotency-Key: a retried finalize replays its answer and takes no second number", async () => {
    const { token, tenantId } = await invoiceTenant();
    const draft = (await createDraft(token)).body.data;
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    const first = await finalize(token, draft.id, headers);
    const second = await finalize(token, draft.id, headers);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.res.headers.get("Idempotent-Replayed")).toBe("true");
    expect(second.body.data.number).toBe(first.body.data.number);
    expect(await lastNumber(tenantId)).toBe(1);
  });
});

describe("invoices: void, uncollectible, payment", () => {
  it("void keeps the number; drafts, void and paid invoices cannot be voided", async () => {
    const { token, tenantId } = await invoiceTenant();
    const open = await finalized(token);
    const voided = await invoices(`/${open.id}/void`, { method: "POST", token });
    expect(voided.status).toBe(200);
    expect(voided.body.data).toMatchObject({
      status: "void",
      number: "INV-000001",
      revision: open.revision + 1,
    });
    expect(voided.body.data.voided_at).not.toBeNull();
    const again = await invoices(`/${open.id}/void`, { method: "POST", token });
    expect(again.status).toBe(409);
    expect(again.body.errors?.[0]?.message).toBe(
      "Only an invoice that is open or uncollectible can be voided; this one is void",
    );

    const draft = (await createDraft(token)).body.data;
    const voidDraft = await invoices(`/${draft.id}/void`, { method: "POST", token });
    expect(voidDraft.status).toBe(409);
    expect(voidDraft.body.errors?.[0]?.message).toContain("finalize it first, or delete it");
    // The next number follows the voided one: the series has no gap and no reuse.
    expect((await finalize(token, draft.id)).body.data.number).toBe("INV-000002");
    expect((await invoiceEvents(tenantId, open.id)).map((e) => e.event_type)).toEqual([
      "invoice.created",
      "invoice.finalized",
      "invoice.voided",
    ]);
  });

  it("open → uncollectible → paid by a payment, and uncollectible → void", async () => {
    const { token, tenantId } = await invoiceTenant();
    const a = await finalized(token);
    const marked = await invoices(`/${a.id}/mark-uncollectible`, { method: "POST", token });
    expect(marked.status).toBe(200);
    expect(marked.body.data.status).toBe("uncollectible");
    expect((await invoices(`/${a.id}/mark-uncollectible`, { method: "POST", token })).status).toBe(409);

    // Part of it first: still uncollectible, the amounts updated; then the rest: paid.
    expect(await settle(tenantId, a.id, "999250.00", "NGN")).toMatchObject({
      status: "uncollectible",
      amount_paid: "999250.00",
      amount_due: "2000000.00",
    });
    expect((await settle(tenantId, a.id, "2000000.00", "NGN"))?.status).toBe("paid");
    const paid = (await invoices(`/${a.id}`, { token })).body.data;
    expect(paid).toMatchObject({ status: "paid", amount_paid: "2999250.00", amount_due: "0.00" });
    expect((await invoices(`/${a.id}/void`, { method: "POST", token })).status).toBe(409);

    const b = await finalized(token);
    await invoices(`/${b.id}/mark-uncollectible`, { method: "POST", token });
    const voided = await invoices(`/${b.id}/void`, { method: "POST", token });
    expect(voided.body.data).toMatchObject({ status: "void", number: "INV-000002" });
    expect((await invoiceEvents(tenantId, a.id)).map((e) => e.event_type)).toEqual([
      "invoice.created",
      "invoice.finalized",
      "invoice.marked_uncollectible",
      "invoice.partially_paid",
      "invoice.paid",
    ]);
  });

  it("payments settle an open invoice in parts, exactly: partially_paid, then paid with invoice.paid", async () => {
    const { token, tenantId } = await invoiceTenant();
    const invoice = await finalized(token, {
      currency: "EUR",
      lines: [{ description: "Consulting", quantity: 3, unit_price: "0.10", tax_rate: "19" }],
    });
    expect(invoice.total).toBe("0.36");
    // Another currency, nothing, a draft or a void invoice: nothing applies.
    expect(await settle(tenantId, invoice.id, "0.10", "NGN")).toBeUndefined();
    expect(await settle(tenantId, invoice.id, "0.00", "EUR")).toBeUndefined();
    const first = await settle(tenantId, invoice.id, "0.10", "EUR");
    expect(first).toMatchObject({
      status: "partially_paid",
      amount_paid: "0.10",
      amount_due: "0.26",
      revision: 3,
    });
    // A partially paid invoice may not be voided (refund first), but may be written off.
    expect((await invoices(`/${invoice.id}/void`, { method: "POST", token })).status).toBe(409);
    const second = await settle(tenantId, invoice.id, "0.26", "EUR");
    expect(second).toMatchObject({ status: "paid", amount_paid: "0.36", amount_due: "0.00" });
    expect(second?.paid_at).not.toBeNull();
    expect(await settle(tenantId, invoice.id, "0.01", "EUR")).toBeUndefined();
    const events = await invoiceEvents(tenantId, invoice.id);
    expect(events.map((e) => e.event_type)).toEqual([
      "invoice.created",
      "invoice.finalized",
      "invoice.partially_paid",
      "invoice.paid",
    ]);
    expect(events[2]?.payload.data).toEqual(first);
    expect(events[3]?.payload.data).toEqual(second);
    expect(events[3]?.payload.metadata.user_id).toBeNull();

    const draft = (await createDraft(token)).body.data;
    expect(await settle(tenantId, draft.id, "1.00", "NGN")).toBeUndefined();
  });

  it("invoice events appear in GET /api/v1/events for holders of finance.invoices.read only", async () => {
    const { token, tenantId } = await invoiceTenant();
    const invoice = await finalized(token);
    const read = async (t: string) => {
      const res = await call("/api/v1/events?event_type=invoice.&limit=200", { token: t });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await envelope<{ event_type: string; data: { id: string } }[]>(res)).data.filter(
        (e) => e.data.id === invoice.id,
      );
    };
    const member = await tokenFor({ tenantId, userId: crypto.randomUUID(), role: "Member" });
    expect((await read(token)).map((e) => e.event_type).sort()).toEqual([
      "invoice.created",
      "invoice.finalized",
    ]);
    expect((await read(member)).length).toBe(2);
    const eventsOnly = await tokenFor({
      tenantId,
      userId: crypto.randomUUID(),
      role: "Auditor",
      permissions: "events.read crm.contacts.read",
    });
    expect(await read(eventsOnly)).toEqual([]);
    // The scope is the second wall: an Owner's token for a client granted only crm:read.
    const crmClient = await tokenFor({
      tenantId,
      userId: crypto.randomUUID(),
      role: "Owner",
      scope: "crm:read",
    });
    expect(await read(crmClient)).toEqual([]);
  });
});
