import { PDFDocument } from "@cantoo/pdf-lib";
import { describe, expect, it } from "vitest";
import { FAULT_HEADER } from "../../workers/api/lib/test-faults";
import { createDraft, FINANCE_INVOICES, INVOICES, invoices, invoiceTenant } from "./finance-invoice-helpers";
import { call } from "./helpers";

const pdfOf = (id: string, token: string, headers: Record<string, string> = {}, base = INVOICES) =>
  call(`${base}/${id}/pdf`, { token, headers });

const latin1 = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);

describe("invoices: PDF", () => {
  it("answers a real PDF with an ETag per revision, 304 on If-None-Match, private caching", async () => {
    const { token } = await invoiceTenant({
      billing: { address: ["14 Adéọlá Odékù Street"], tax_id: "TIN 1" },
    });
    const draft = (await createDraft(token)).body.data;

    const res = await pdfOf(draft.id, token);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/pdf");
    expect(res.headers.get("Cache-Control")).toBe("private, no-cache");
    expect(res.headers.get("Content-Disposition")).toBe('inline; filename="draft.pdf"');
    const etag = res.headers.get("ETag");
    expect(etag).toMatch(/^"pdf\d+-[0-9a-f]{32}"$/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(latin1(bytes.subarray(0, 5))).toBe("%PDF-");
    expect((await PDFDocument.load(bytes)).getPageCount()).toBe(1);

    // Same revision: same ETag, and a 304 without a body when the client has it.
    const again = await pdfOf(draft.id, token, { "If-None-Match": etag ?? "" });
    expect(again.status).toBe(304);
    expect(again.headers.get("ETag")).toBe(etag);
    expect(await again.text()).toBe("");
    const listed = await pdfOf(draft.id, token, { "If-None-Match": `"other", W/${etag}` }, FINANCE_INVOICES);
    expect(listed.status).toBe(304);

    // A new revision: a new ETag; the old one no longer matches.
    await invoices(`/${draft.id}`, { method: "PATCH", token, json: { notes: "Ẹ ṣé o!" } });
    const changed = await pdfOf(draft.id, token, { "If-None-Match": etag ?? "" });
    expect(changed.status).toBe(200);
    const etag2 = changed.headers.get("ETag");
    expect(etag2).not.toBe(etag);

    const final = await invoices(`/${draft.id}/finalize`, {
      method: "POST",
      token,
      headers: { [FAULT_HEADER]: "einvoice:clear" },
    });
    expect(final.status).toBe(200);
    const numbered = await pdfOf(draft.id, token, { "If-None-Match": etag2 ?? "" });
    expect(numbered.status).toBe(200);
    expect(numbered.headers.get("ETag")).not.toBe(etag2);
    expect(numbered.headers.get("Content-Disposition")).toBe('inline; filename="INV-000001.pdf"');
    const numberedBytes = new Uint8Array(await numbered.arrayBuffer());
    // The PDF's own metadata names the invoice: its title is the number.
    const doc = await PDFDocument.load(numberedBytes);
    expect(doc.getTitle() ?? "").toContain("INV-000001");
  });

  it("paginates a 120-line invoice", async () => {
    const { token } = await invoiceTenant();
    const lines = Array.from({ length: 120 }, (_, i) => ({
      description: `Item ${i + 1}: a description long enough to wrap inside its column of the line table`,
      quantity: 1,
      unit_price: "10.00",
      tax_rate: i % 2 ? "19" : "7",
    }));
    const draft = (await createDraft(token, { currency: "EUR", locale: "fr-FR", lines })).body.data;
    const res = await pdfOf(draft.id, token);
    expect(res.status).toBe(200);
    const pages = (await PDFDocument.load(new Uint8Array(await res.arrayBuffer()))).getPageCount();
    expect(pages).toBeGreaterThanOrEqual(4);
  });

  it("is read-guarded like the invoice: Viewer reads, Guest 403, another tenant's id 404 like a missing one", async () => {
    const { token, as } = await invoiceTenant();
    const other = await invoiceTenant();
    const draft = (await createDraft(token)).body.data;
    expect((await pdfOf(draft.id, await as("Viewer"))).status).toBe(200);
    const guest = await pdfOf(draft.id, await as("Guest"));
    expect(guest.status).toBe(403);
    expect(guest.headers.get("Content-Type")).toContain("application/json");
    const theirs = await pdfOf(draft.id, other.token);
    const missing = await pdfOf(crypto.randomUUID(), other.token);
    expect(theirs.status).toBe(404);
    const errorsOf = async (r: Response) => ((await r.json()) as { errors: unknown }).errors;
    expect(await errorsOf(theirs)).toEqual(await errorsOf(missing));
    expect(theirs.headers.get("ETag")).toBeNull();
  });
});
