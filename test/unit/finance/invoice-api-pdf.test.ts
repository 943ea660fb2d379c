import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { renderInvoicePdf } from "../../../workers/api/finance/pdf/render-invoice-pdf";
import type { InvoiceView } from "../../../workers/api/schemas/invoice";
import { invoicePdfView } from "../../../workers/api/services/finance/invoice-pdf";
import { pdfFonts, pdfPagePng, pdfText } from "../../support/poppler";

// An invoice exactly as GET /api/v1/invoices/{id} answers it, mapped to the renderer's view as the
// /pdf route maps it, and read back with poppler: what the customer sees of the API's invoice.
const RESULTS = fileURLToPath(new URL("../../../test-results/invoice-pdf/", import.meta.url));
const YORUBA = "Ọ̀ṣọ́ Adébáyọ̀".normalize("NFC");
const nfc = (text: string) => text.normalize("NFC");

function apiInvoice(): InvoiceView {
  return {
    id: "3f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f01",
    status: "open",
    number: "INV-000042",
    series: "INV",
    currency: "NGN",
    locale: null,
    customer: {
      contact_id: null,
      name: YORUBA,
      email: "osho@example.ng",
      address: ["Plot 7, Ọ̀rọ̀ Close", "Ìbàdàn"],
      tax_id: null,
    },
    supplier: {
      name: "Ìmọ́lẹ̀ Solar Ltd",
      email: null,
      address: ["14 Adéọlá Odékù Street"],
      tax_id: "TIN 12345678-0001",
    },
    issue_date: "2026-12-03",
    due_date: "2026-12-31",
    notes: null,
    lines: [
      {
        id: "3f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f02",
        position: 1,
        description: "Solar inverter 5 kVA",
        quantity: 1,
        unit_price: "1250000.00",
        discount: "0.00",
        tax_rate: "7.5",
        net_amount: "1250000.00",
        tax_amount: "93750.00",
      },
      {
        id: "3f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f03",
        position: 2,
        description: "Lithium battery 200 Ah",
        quantity: 4,
        unit_price: "385000.00",
        discount: "0.00",
        tax_rate: "7.5",
        net_amount: "1540000.00",
        tax_amount: "115500.00",
      },
    ],
    subtotal: "2790000.00",
    discount_total: "0.00",
    tax_total: "209250.00",
    total: "2999250.00",
    amount_paid: "0.00",
    amount_due: "2999250.00",
    tax_breakdown: [{ rate: "7.5", taxable: "2790000.00", tax: "209250.00" }],
    einvoice: {
      irn: "INV-000042-94ND90NR-20261203",
      csid: "CSID-7f3a9c2e",
      qr: "https://einvoice.example.ng/verify?irn=INV-000042-94ND90NR-20261203",
      clearance_status: "cleared",
    },
    revision: 2,
    finalized_at: "2026-12-03T09:30:00.000Z",
    paid_at: null,
    voided_at: null,
    marked_uncollectible_at: null,
    created_at: "2026-12-03T09:00:00.000Z",
    updated_at: "2026-12-03T09:30:00.000Z",
  };
}

const tenant = { supplier: { name: "Unused once finalized" }, country: "NG" };

describe("an API invoice as its PDF", { timeout: 30_000 }, () => {
  it("prints the number, the naira totals, the Yoruba name and the IRN, in embedded Noto Sans", async () => {
    const pdf = await renderInvoicePdf(invoicePdfView(apiInvoice(), tenant));
    const text = nfc(await pdfText(pdf));
    expect(text).toContain("INV-000042");
    expect(text).toContain(YORUBA);
    expect(text).toContain(nfc("Ìmọ́lẹ̀ Solar Ltd"));
    for (const amount of ["₦2,790,000.00", "₦209,250.00", "₦2,999,250.00"]) expect(text).toContain(amount);
    expect(text).toContain("VAT 7.5%");
    expect(text).toContain("INV-000042-94ND90NR-20261203");
    const fonts = await pdfFonts(pdf);
    expect(fonts.length).toBeGreaterThan(0);
    for (const font of fonts) expect(font.embedded, font.name).toBe(true);
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, "api-invoice-page-1.png"), await pdfPagePng(pdf, 1, 80));
  });

  it("a draft prints as a draft with the tenant as supplier, in the tenant's country's formats", async () => {
    const draft = {
      ...apiInvoice(),
      status: "draft" as const,
      number: null,
      supplier: null,
      issue_date: null,
      einvoice: { irn: null, csid: null, qr: null, clearance_status: "not_required" as const },
    };
    const view = invoicePdfView(draft, {
      supplier: { name: "Bäckerei Größe GmbH", address: null },
      country: "DE",
    });
    expect(view).toMatchObject({ locale: "en-DE", issueDate: "2026-12-03", eInvoice: null, number: null });
    const text = nfc(await pdfText(await renderInvoicePdf(view)));
    expect(text).toContain("Bäckerei Größe GmbH");
    expect(text).toContain("Draft");
    expect(text).not.toContain("INV-000042");
  });
});
