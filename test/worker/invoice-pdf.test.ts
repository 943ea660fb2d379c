import { PDFDocument } from "@cantoo/pdf-lib";
import { describe, expect, it } from "vitest";
import { invoicePdfEtag } from "../../workers/api/finance/pdf/invoice-pdf-etag";
import { renderInvoicePdf } from "../../workers/api/finance/pdf/render-invoice-pdf";
import { eurInvoice, longInvoice, ngnInvoice } from "../support/invoice-pdf-fixtures";

// The renderer inside workerd, bundled as the Worker is: the base64 font modules, pdf-lib,
// fontkit, the QR encoder and CompressionStream all load and run here. What the PDF shows is
// checked with poppler in test/unit/finance/invoice-pdf.test.ts.

const text = (bytes: Uint8Array, start: number, end: number) =>
  new TextDecoder("latin1").decode(bytes.subarray(start, end));

describe("invoice PDF in workerd", () => {
  it("renders a one-page NGN invoice: a PDF with both fonts embedded, same bytes twice", async () => {
    const pdf = await renderInvoicePdf(ngnInvoice());
    expect(text(pdf, 0, 5)).toBe("%PDF-");
    expect(text(pdf, pdf.length - 6, pdf.length).trim()).toBe("%%EOF");
    // Two embedded faces of ~109 KB, compressed: well over 100 KB; under 400 KB with everything else.
    expect(pdf.length).toBeGreaterThan(100_000);
    expect(pdf.length).toBeLessThan(400_000);
    const again = await renderInvoicePdf(ngnInvoice());
    expect(again).toEqual(pdf);
  });

  it("renders a fr-FR invoice and a 120-line one", async () => {
    const eur = await renderInvoicePdf(eurInvoice());
    expect(text(eur, 0, 5)).toBe("%PDF-");
    expect((await PDFDocument.load(eur)).getPageCount()).toBe(1);
    const long = await renderInvoicePdf(longInvoice(120));
    expect(text(long, 0, 5)).toBe("%PDF-");
    const pages = (await PDFDocument.load(long)).getPageCount();
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(pages).toBeLessThanOrEqual(7);
  });

  it("gives an ETag with WebCrypto", async () => {
    expect(await invoicePdfEtag(ngnInvoice())).toMatch(/^"pdf\d+-[0-9a-f]{32}"$/);
  });
});
