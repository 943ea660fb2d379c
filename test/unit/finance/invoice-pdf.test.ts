import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PDFDocument, rgb } from "@cantoo/pdf-lib";
import decodeQR from "qr/decode.js";
import { beforeAll, describe, expect, it } from "vitest";
import { embedInvoiceFonts } from "../../../workers/api/finance/pdf/invoice-fonts";
import { invoicePdfEtag } from "../../../workers/api/finance/pdf/invoice-pdf-etag";
import { INVOICE_PDF_PRODUCER, renderInvoicePdf } from "../../../workers/api/finance/pdf/render-invoice-pdf";
import { drawText } from "../../../workers/api/finance/pdf/text-layout";
import { eurInvoice, longInvoice, ngnInvoice, YORUBA_CUSTOMER } from "../../support/invoice-pdf-fixtures";
import { type GrayImage, pdfFonts, pdfInfo, pdfPageGray, pdfPagePng, pdfText } from "../../support/poppler";

// The renderer judged by poppler (pdftotext, pdffonts, pdfinfo, pdftoppm): what a reader of the
// file sees, not what pdf-lib believes it wrote. Page images land in test-results/invoice-pdf/
// for a look (gitignored). Renders and poppler runs take a while on a busy machine: 30 s a test.
const RESULTS = fileURLToPath(new URL("../../../test-results/invoice-pdf/", import.meta.url));

function savePng(name: string, png: Uint8Array): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, name), png);
}

/** pdftotext output compared as text, whatever normalisation form it came in. */
const nfc = (text: string) => text.normalize("NFC");

describe("a one-page NGN invoice for a Yoruba customer", { timeout: 30_000 }, () => {
  let pdf: Uint8Array;
  let text: string;
  beforeAll(async () => {
    pdf = await renderInvoicePdf(ngnInvoice());
    text = nfc(await pdfText(pdf));
    savePng("ngn-page-1.png", await pdfPagePng(pdf, 1, 80));
  }, 30_000);

  it("is one page whose text has the number, the naira amounts and the customer's name with its tone marks", async () => {
    expect((await pdfInfo(pdf)).Pages).toBe("1");
    expect(text).toContain("INV-2026-00042");
    expect(text).toContain(YORUBA_CUSTOMER);
    expect(text).toContain(nfc("Ìmọ́lẹ̀ Solar Ltd"));
    for (const amount of [
      "₦2,835,000.00",
      "₦209,250.00",
      "₦3,044,250.00",
      "₦1,000,000.00",
      "₦2,044,250.00",
    ]) {
      expect(text).toContain(amount);
    }
    expect(text).toContain("VAT 7.5% (taxable ₦2,790,000.00)");
    expect(text).toContain("Page 1 of 1");
  });

  it("embeds Noto Sans, regular and bold, and no standard Type 1 font", async () => {
    const fonts = await pdfFonts(pdf);
    expect(fonts.map((f) => f.name).sort()).toEqual(["NotoSans-Bold", "NotoSans-Regular"]);
    for (const font of fonts) {
      expect(font.embedded, font.name).toBe(true);
      expect(font.type).toBe("CID TrueType");
    }
  });

  it("carries title, producer and dates from the view, and renders the same bytes twice", async () => {
    const info = await pdfInfo(pdf);
    expect(info.Title).toBe("INV-2026-00042");
    expect(info.Producer).toBe(INVOICE_PDF_PRODUCER);
    expect(info.CreationDate).toBe("2026-03-01T09:30:00Z");
    expect(info.ModDate).toBe("2026-03-01T09:30:00Z");
    expect(Buffer.from(await renderInvoicePdf(ngnInvoice())).equals(Buffer.from(pdf))).toBe(true);
  });

  it("prints the e-invoice block and a QR code that scans to the payload", async () => {
    expect(text).toContain("INV-2026-00042-94ND90NR-20260301");
    expect(text).toContain("CSID-7f3a9c2e51b84d06");
    const page = await pdfPageGray(pdf, 1, 150);
    const decoded = decodeQR(
      { width: page.width, height: page.height, data: grayToRgb(page) },
      { format: "RGB" },
    );
    expect(decoded).toBe(ngnInvoice().eInvoice?.qrPayload);
  });

  it("prints Draft for an invoice without a number", async () => {
    const draft = await renderInvoicePdf({ ...ngnInvoice(), number: null, status: "draft", eInvoice: null });
    const draftText = await pdfText(draft);
    expect(draftText).toContain("Draft");
    expect(draftText).not.toContain("INV-2026-00042\n");
    expect((await pdfInfo(draft)).Title).toBe("Draft");
  });
});

describe("a fr-FR EUR invoice", { timeout: 30_000 }, () => {
  it("keeps the narrow no-break space of French amounts and the euro sign in its text, labels in French", async () => {
    const pdf = await renderInvoicePdf(eurInvoice());
    savePng("eur-page-1.png", await pdfPagePng(pdf, 1, 80));
    const text = await pdfText(pdf);
    const expected = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" }).format("6022.50");
    expect(expected).toContain("\u202f");
    expect(text).toContain(expected);
    expect(text).toContain("\u202f");
    expect(text).toContain("€");
    expect(text).toContain("0,125\u00a0€"); // a unit price keeps its third decimal
    expect(text).toContain("Total TTC");
    expect(text).toContain("Bäckerei Größe GmbH");
    expect(text).toContain("Page 1 sur 1");
  });
});

describe("a 120-line invoice with wrapping descriptions", { timeout: 30_000 }, () => {
  let pdf: Uint8Array;
  let pages: number;
  beforeAll(async () => {
    pdf = await renderInvoicePdf(longInvoice(120));
    pages = Number((await pdfInfo(pdf)).Pages);
    savePng("long-page-1.png", await pdfPagePng(pdf, 1, 80));
    savePng("long-page-last.png", await pdfPagePng(pdf, pages, 80));
  }, 30_000);

  it("runs over about five pages, each with the table's header row and its page number", async () => {
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(pages).toBeLessThanOrEqual(7);
    for (let page = 1; page <= pages; page++) {
      const text = await pdfText(pdf, page);
      for (const header of ["Description", "Qty", "Unit price", "Amount"])
        expect(text, `page ${page}`).toContain(header);
      expect(text).toContain(`Page ${page} of ${pages}`);
      if (page > 1) expect(text).toContain("Invoice INV-2026-00120");
    }
  });

  it("has every line once, in order, and the totals only on the last page, after the last line", async () => {
    const all = await pdfText(pdf, undefined, { raw: true });
    const positions = Array.from({ length: 120 }, (_, i) => all.indexOf(`Item ${i + 1}:`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    for (let page = 1; page < pages; page++) expect(await pdfText(pdf, page)).not.toContain("Amount due");
    const last = await pdfText(pdf, pages, { raw: true });
    expect(last).toContain("Item 120:");
    expect(last).toContain("Amount due");
    expect(last.indexOf("Amount due")).toBeGreaterThan(last.indexOf("Item 120:"));
  });

  it("never leaves the totals alone on a page: the last line moves over with them", async () => {
    // Somewhere in 16–30 lines the last line fills page 1 or 2 with no room left for the totals.
    for (let lines = 16; lines <= 30; lines++) {
      const doc = await renderInvoicePdf({ ...longInvoice(lines), eInvoice: null, notes: null });
      const last = await pdfText(doc, Number((await pdfInfo(doc)).Pages), { raw: true });
      expect(last, `${lines} lines`).toContain(`Item ${lines}:`);
      expect(last).toContain("Amount due");
    }
  }, 60_000);

  it("wraps a long description inside its column", async () => {
    const description = `${"Very long description of the works carried out on site ".repeat(12)}END`;
    const one = await renderInvoicePdf({
      ...ngnInvoice(),
      lines: [{ description, quantity: "1", unitPrice: "1.00", taxRate: null, lineTotal: "1.00" }],
    });
    const text = await pdfText(one);
    // Several lines, none running into the number columns: each wrapped line ends before "₦".
    const wrapped = text.split("\n").filter((line) => line.includes("Very long") || line.includes("carried"));
    expect(wrapped.length).toBeGreaterThan(4);
    for (const line of wrapped) expect(line).not.toContain("₦");
    expect(text).toContain("END");
  });
});

describe("tone marks on capitals", { timeout: 30_000 }, () => {
  /** The topmost row with ink, in pixels from the top of a page showing only `text`. */
  async function inkTop(text: string): Promise<number> {
    const doc = await PDFDocument.create();
    const fonts = await embedInvoiceFonts(doc);
    const page = doc.addPage([300, 200]);
    drawText(
      page,
      { font: fonts.regular, shaper: fonts.faces.regular.shaper, size: 100, color: rgb(0, 0, 0) },
      text,
      40,
      40,
    );
    const image = await pdfPageGray(await doc.save(), 1, 72);
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) if ((image.pixels[y * image.width + x] ?? 255) < 128) return y;
    }
    return image.height;
  }

  it("sit above a capital (placed from the font's anchors), not inside it", async () => {
    const capital = await inkTop("Ọ");
    const withGrave = await inkTop(nfc("Ọ̀"));
    const lowerWithGrave = await inkTop(nfc("ọ̀"));
    // At 100 pt, a grave above a capital tops it by ~20 px; drawn at the pen (pdf-lib alone) it
    // would sit at lowercase height, inside the O, and top it by under 5.
    expect(capital - withGrave).toBeGreaterThan(12);
    // On a lowercase letter it sits lower than on the capital.
    expect(lowerWithGrave).toBeGreaterThan(withGrave + 8);
  });
});

describe("invoicePdfEtag", () => {
  it("is stable for a view, whatever the key order, and changes with any field", async () => {
    const view = ngnInvoice();
    const reordered = Object.fromEntries(Object.entries(view).reverse()) as typeof view;
    const etag = await invoicePdfEtag(view);
    expect(etag).toMatch(/^"pdf\d+-[0-9a-f]{32}"$/);
    expect(await invoicePdfEtag(reordered)).toBe(etag);
    expect(await invoicePdfEtag({ ...view, amountPaid: "1000000.01" })).not.toBe(etag);
    expect(await invoicePdfEtag({ ...view, revisedAt: "2026-03-01T09:30:01Z" })).not.toBe(etag);
  });
});

function grayToRgb(image: GrayImage): Uint8Array {
  const rgbBytes = new Uint8Array(image.pixels.length * 3);
  image.pixels.forEach((value, i) => {
    rgbBytes.fill(value, i * 3, i * 3 + 3);
  });
  return rgbBytes;
}
