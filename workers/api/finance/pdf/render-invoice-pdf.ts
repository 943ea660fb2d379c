import { PDFDocument, type PDFFont, type PDFPage, rgb } from "@cantoo/pdf-lib";
import { embedInvoiceFonts, type InvoiceFaces } from "./invoice-fonts";
import { type InvoiceFormatters, invoiceFormatters } from "./invoice-formatters";
import { type InvoiceLabels, invoiceLabels, statusLabel } from "./invoice-labels";
import {
  type InvoicePdfLine,
  type InvoicePdfView,
  type InvoicePdfViewInput,
  invoicePdfViewSchema,
} from "./invoice-pdf-view";
import { drawQrCode } from "./qr-code";
import {
  drawText,
  drawTextRight,
  fitted,
  printable,
  type TextStyle,
  textWidth,
  wrapText,
} from "./text-layout";

/** Bumped whenever the same view would render differently: part of every ETag (invoice-pdf-etag.ts). */
export const INVOICE_PDF_RENDERER_VERSION = "1";
export const INVOICE_PDF_PRODUCER = `Nexus Edge invoice renderer ${INVOICE_PDF_RENDERER_VERSION} (pdf-lib)`;

// A4 portrait in points; the body sits inside the margins, the footer below the body.
const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const MARGIN = 42;
const FOOTER_HEIGHT = 28;
const BODY_BOTTOM = MARGIN + FOOTER_HEIGHT;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN;

const TEXT = rgb(0.12, 0.12, 0.14);
const MUTED = rgb(0.42, 0.42, 0.46);
const RULE = rgb(0.82, 0.82, 0.85);
const HEADER_FILL = rgb(0.94, 0.94, 0.96);

const BODY_SIZE = 9;
const LINE_GAP = 1.35;
const CELL_PADDING = 4;

/** The line table's number columns (quantity, unit price, tax, amount); description takes the rest. */
const NUMBER_COLUMN_WIDTHS = [46, 88, 46, 96];
const DESCRIPTION_WIDTH = CONTENT_WIDTH - NUMBER_COLUMN_WIDTHS.reduce((sum, width) => sum + width, 0);
/** Each number column's right edge (text is right-aligned there) and the width its text may take. */
const NUMBER_COLUMNS = NUMBER_COLUMN_WIDTHS.map((width, i) => ({
  right:
    MARGIN +
    DESCRIPTION_WIDTH +
    NUMBER_COLUMN_WIDTHS.slice(0, i + 1).reduce((sum, w) => sum + w, 0) -
    CELL_PADDING,
  textWidth: width - 2 * CELL_PADDING,
}));

const TOTALS_WIDTH = 270;
const QR_SIZE = 96;

interface Styles {
  body: TextStyle;
  muted: TextStyle;
  small: TextStyle;
  bold: TextStyle;
  heading: TextStyle;
  title: TextStyle;
}

interface Context {
  doc: PDFDocument;
  view: InvoicePdfView;
  styles: Styles;
  labels: InvoiceLabels;
  format: InvoiceFormatters;
  /** "INV-0042" or the localised "Draft". */
  displayNumber: string;
}

/** Where the next block goes: the current page and the baseline-free top of the free space. */
interface Cursor {
  page: PDFPage;
  y: number;
}

/**
 * Renders an invoice as a PDF (A4, Noto Sans embedded, text extractable). Same view, same bytes:
 * dates in the file come from `view.revisedAt`, never the clock.
 *
 * Page 1 carries the supplier, the customer and the invoice's number and dates; the line table
 * runs over as many pages as it needs, its header row repeated on each; the totals follow the last
 * line on the same page (a last line that would leave them alone moves with them), then the
 * e-invoice block with its QR code, then the notes. Every page ends with "Page n of m".
 */
export async function renderInvoicePdf(input: InvoicePdfViewInput): Promise<Uint8Array<ArrayBuffer>> {
  const view = invoicePdfViewSchema.parse(input);
  const labels = invoiceLabels(view.locale);
  const displayNumber = view.number ?? labels.draft;
  const revisedAt = new Date(view.revisedAt);

  const doc = await PDFDocument.create({ updateMetadata: false });
  const fonts = await embedInvoiceFonts(doc);

  doc.setTitle(displayNumber, { showInWindowTitleBar: true });
  doc.setAuthor(view.supplier.name);
  doc.setSubject(`${labels.invoice} ${displayNumber} — ${view.customer.name}`);
  doc.setProducer(INVOICE_PDF_PRODUCER);
  doc.setCreator(INVOICE_PDF_PRODUCER);
  doc.setLanguage(view.locale);
  doc.setCreationDate(revisedAt);
  doc.setModificationDate(revisedAt);

  const ctx: Context = {
    doc,
    view,
    styles: styles(fonts.regular, fonts.bold, fonts.faces),
    labels,
    format: invoiceFormatters(view.locale, view.currency),
    displayNumber,
  };

  const first = doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
  const cursor: Cursor = { page: first, y: drawFirstPageHeader(ctx, first) };
  drawLineTable(ctx, cursor);
  drawEInvoice(ctx, cursor);
  drawNotes(ctx, cursor);
  drawFooters(ctx);

  // pdf-lib writes into a fresh ArrayBuffer (never shared): typed so, it is a Response body as is.
  return (await doc.save({ useObjectStreams: true })) as Uint8Array<ArrayBuffer>;
}

function styles(regular: PDFFont, bold: PDFFont, faces: InvoiceFaces): Styles {
  const r = { font: regular, shaper: faces.regular.shaper };
  const b = { font: bold, shaper: faces.bold.shaper };
  return {
    body: { ...r, size: BODY_SIZE, color: TEXT },
    muted: { ...r, size: BODY_SIZE, color: MUTED },
    small: { ...r, size: 7.5, color: MUTED },
    bold: { ...b, size: BODY_SIZE, color: TEXT },
    heading: { ...b, size: 11, color: TEXT },
    title: { ...b, size: 20, color: TEXT },
  };
}

function lineHeight(style: TextStyle): number {
  return style.size * LINE_GAP;
}

/** Draws wrapped lines from top (the top of the first line's box); returns the y below them. */
function drawLines(page: PDFPage, style: TextStyle, lines: string[], x: number, top: number): number {
  let y = top;
  for (const line of lines) {
    drawText(page, style, line, x, y - style.size);
    y -= lineHeight(style);
  }
  return y;
}

function drawParagraph(page: PDFPage, style: TextStyle, text: string, x: number, top: number, width: number) {
  return drawLines(page, style, wrapText(style, text, width), x, top);
}

// ── page 1: parties, number, dates ───────────────────────────────────────────────────────────

function drawFirstPageHeader(ctx: Context, page: PDFPage): number {
  const { view, styles: s, labels, format } = ctx;
  const top = PAGE_HEIGHT - MARGIN;
  const leftWidth = CONTENT_WIDTH * 0.55;
  const right = PAGE_WIDTH - MARGIN;

  let left = drawParagraph(page, s.heading, view.supplier.name, MARGIN, top, leftWidth);
  for (const line of view.supplier.addressLines)
    left = drawParagraph(page, s.muted, line, MARGIN, left, leftWidth);
  if (view.supplier.taxId) {
    left = drawParagraph(page, s.muted, `${labels.taxId}: ${view.supplier.taxId}`, MARGIN, left, leftWidth);
  }

  drawTextRight(page, s.title, labels.invoice, right, top - s.title.size);
  const facts: [string, string][] = [
    [labels.number, ctx.displayNumber],
    [labels.status, statusLabel(labels, view.status)],
    [labels.issueDate, format.date(view.issueDate)],
  ];
  if (view.dueDate) facts.push([labels.dueDate, format.date(view.dueDate)]);
  let factsY = top - s.title.size * 1.6;
  const valueWidth = Math.max(...facts.map(([, value]) => textWidth(s.bold, printable(value))));
  for (const [label, value] of facts) {
    const baseline = factsY - BODY_SIZE;
    drawTextRight(page, s.bold, printable(value), right, baseline);
    drawTextRight(page, s.muted, label, right - valueWidth - 10, baseline);
    factsY -= lineHeight(s.body);
  }

  let y = Math.min(left, factsY) - 18;
  drawText(page, s.small, labels.billTo.toUpperCase(), MARGIN, y - s.small.size);
  y -= lineHeight(s.small) + 2;
  const customer = view.customer;
  y = drawParagraph(page, s.bold, customer.name, MARGIN, y, leftWidth);
  if (customer.email) y = drawParagraph(page, s.body, customer.email, MARGIN, y, leftWidth);
  for (const line of customer.addressLines) y = drawParagraph(page, s.body, line, MARGIN, y, leftWidth);
  if (customer.taxId)
    y = drawParagraph(page, s.body, `${labels.taxId}: ${customer.taxId}`, MARGIN, y, leftWidth);
  return y - 20;
}

/** Pages after the first: who and which invoice, small, above the table. */
function drawContinuationHeader(ctx: Context, page: PDFPage): number {
  const { styles: s, labels } = ctx;
  const baseline = PAGE_HEIGHT - MARGIN - BODY_SIZE;
  drawText(page, s.bold, printable(ctx.view.supplier.name), MARGIN, baseline);
  drawTextRight(
    page,
    s.muted,
    `${labels.invoice} ${printable(ctx.displayNumber)}`,
    PAGE_WIDTH - MARGIN,
    baseline,
  );
  return PAGE_HEIGHT - MARGIN - lineHeight(s.body) - 14;
}

function newPage(ctx: Context, cursor: Cursor): void {
  cursor.page = ctx.doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
  cursor.y = drawContinuationHeader(ctx, cursor.page);
}

// ── the line table ──────────────────────────────────────────────────────────────────────────

interface Row {
  description: string[];
  quantity: string;
  unitPrice: string;
  tax: string;
  amount: string;
  height: number;
}

function tableRow(ctx: Context, line: InvoicePdfLine): Row {
  const { styles: s, format, labels } = ctx;
  const description = wrapText(s.body, line.description, DESCRIPTION_WIDTH - 2 * CELL_PADDING);
  return {
    description,
    quantity: format.quantity(line.quantity),
    unitPrice: format.unitPrice(line.unitPrice),
    tax: line.taxRate === null ? labels.exempt : format.percent(line.taxRate),
    amount: format.money(line.lineTotal),
    height: description.length * lineHeight(s.body) + 2 * CELL_PADDING,
  };
}

const HEADER_ROW_HEIGHT = BODY_SIZE * LINE_GAP + 2 * CELL_PADDING;

function drawTableHeader(ctx: Context, cursor: Cursor): void {
  const { styles: s, labels } = ctx;
  const { page } = cursor;
  page.drawRectangle({
    x: MARGIN,
    y: cursor.y - HEADER_ROW_HEIGHT,
    width: CONTENT_WIDTH,
    height: HEADER_ROW_HEIGHT,
    color: HEADER_FILL,
  });
  const baseline = cursor.y - CELL_PADDING - BODY_SIZE;
  drawText(page, s.bold, labels.description, MARGIN + CELL_PADDING, baseline);
  const cells = [labels.quantity, labels.unitPrice, labels.tax, labels.amount];
  NUMBER_COLUMNS.forEach((column, i) => {
    const label = cells[i] ?? "";
    drawTextRight(page, fitted(s.bold, label, column.textWidth), label, column.right, baseline);
  });
  cursor.y -= HEADER_ROW_HEIGHT;
}

function drawRow(ctx: Context, cursor: Cursor, row: Row): void {
  const { styles: s } = ctx;
  const { page } = cursor;
  drawLines(page, s.body, row.description, MARGIN + CELL_PADDING, cursor.y - CELL_PADDING);
  const baseline = cursor.y - CELL_PADDING - BODY_SIZE;
  const values = [row.quantity, row.unitPrice, row.tax, row.amount];
  NUMBER_COLUMNS.forEach((column, i) => {
    const value = values[i] ?? "";
    drawTextRight(page, fitted(s.body, value, column.textWidth), value, column.right, baseline);
  });
  cursor.y -= row.height;
  page.drawLine({
    start: { x: MARGIN, y: cursor.y },
    end: { x: MARGIN + CONTENT_WIDTH, y: cursor.y },
    thickness: 0.5,
    color: RULE,
  });
}

function drawLineTable(ctx: Context, cursor: Cursor): void {
  const rows = ctx.view.lines.map((line) => tableRow(ctx, line));
  const totals = totalsRows(ctx);
  const totalsHeight = totalsBlockHeight(ctx, totals);
  drawTableHeader(ctx, cursor);
  let rowsOnPage = 0;
  rows.forEach((row, i) => {
    const isLast = i === rows.length - 1;
    const fitsAlone = cursor.y - row.height >= BODY_BOTTOM;
    const fitsWithTotals = cursor.y - row.height - totalsHeight >= BODY_BOTTOM;
    // A row taller than a whole page is drawn anyway (clipped by nothing): descriptions are capped.
    if (rowsOnPage > 0 && (!fitsAlone || (isLast && !fitsWithTotals))) {
      newPage(ctx, cursor);
      drawTableHeader(ctx, cursor);
      rowsOnPage = 0;
    }
    drawRow(ctx, cursor, row);
    rowsOnPage++;
  });
  if (cursor.y - totalsHeight < BODY_BOTTOM) {
    // No lines at all, or a header too tall: the totals get a page of their own.
    newPage(ctx, cursor);
  }
  drawTotals(ctx, cursor, totals);
}

// ── totals ──────────────────────────────────────────────────────────────────────────────────

interface TotalsRow {
  label: string;
  value: string;
  strong?: boolean;
  /** A rule above this row. */
  ruled?: boolean;
}

function totalsRows(ctx: Context): TotalsRow[] {
  const { view, labels, format } = ctx;
  const rows: TotalsRow[] = [{ label: labels.subtotal, value: format.money(view.subtotal) }];
  if (!isZero(view.discountTotal)) {
    rows.push({ label: labels.discount, value: format.money(negate(view.discountTotal)) });
  }
  for (const tax of view.taxBreakdown) {
    rows.push({
      label: `${printable(tax.label)} ${format.percent(tax.rate)} (${labels.taxableAmount} ${format.money(tax.taxableAmount)})`,
      value: format.money(tax.taxAmount),
    });
  }
  rows.push({ label: labels.taxTotal, value: format.money(view.taxTotal) });
  rows.push({ label: labels.total, value: format.money(view.total), strong: true, ruled: true });
  rows.push({ label: labels.amountPaid, value: format.money(view.amountPaid) });
  rows.push({ label: labels.amountDue, value: format.money(view.amountDue), strong: true, ruled: true });
  return rows;
}

const TOTALS_TOP_GAP = 14;

function totalsBlockHeight(ctx: Context, rows: TotalsRow[]): number {
  const rules = rows.filter((row) => row.ruled).length;
  return TOTALS_TOP_GAP + rows.length * (lineHeight(ctx.styles.body) + 3) + rules * 3 + 6;
}

function drawTotals(ctx: Context, cursor: Cursor, rows: TotalsRow[]): void {
  const { styles: s } = ctx;
  const { page } = cursor;
  const right = PAGE_WIDTH - MARGIN;
  const left = right - TOTALS_WIDTH;
  let y = cursor.y - TOTALS_TOP_GAP;
  for (const row of rows) {
    if (row.ruled) {
      page.drawLine({
        start: { x: left, y: y + 1 },
        end: { x: right, y: y + 1 },
        thickness: 0.6,
        color: RULE,
      });
      y -= 3;
    }
    const style = row.strong ? s.bold : s.body;
    const baseline = y - BODY_SIZE;
    const valueWidth = textWidth(style, row.value);
    drawTextRight(page, style, row.value, right, baseline);
    drawText(
      page,
      fitted(row.strong ? s.bold : s.muted, row.label, TOTALS_WIDTH - valueWidth - 12),
      row.label,
      left,
      baseline,
    );
    y -= lineHeight(s.body) + 3;
  }
  cursor.y = y - 6;
}

function isZero(decimal: string): boolean {
  return /^-?0*(\.0*)?$/.test(decimal);
}

/** The discount as a deduction (a sign flip on the string, no arithmetic). */
function negate(decimal: string): string {
  return decimal.startsWith("-") ? decimal.slice(1) : `-${decimal}`;
}

// ── e-invoice (NRS clearance: IRN, CSID, QR) and notes ──────────────────────────────────────

function drawEInvoice(ctx: Context, cursor: Cursor): void {
  const eInvoice = ctx.view.eInvoice;
  if (!eInvoice) return;
  const { styles: s, labels } = ctx;
  const height = QR_SIZE + 24;
  if (cursor.y - height < BODY_BOTTOM) newPage(ctx, cursor);
  const { page } = cursor;
  const top = cursor.y - 16;
  page.drawLine({
    start: { x: MARGIN, y: top + 6 },
    end: { x: PAGE_WIDTH - MARGIN, y: top + 6 },
    thickness: 0.5,
    color: RULE,
  });
  const textWidthAvailable = CONTENT_WIDTH - QR_SIZE - 16;
  let y = drawParagraph(page, s.heading, labels.eInvoice, MARGIN, top, textWidthAvailable) - 2;
  const facts: [string, string | null][] = [
    [labels.irn, eInvoice.irn],
    [labels.csid, eInvoice.csid],
    [labels.clearanceStatus, eInvoice.clearanceStatus],
  ];
  for (const [label, value] of facts) {
    if (!value) continue;
    y = drawParagraph(page, s.small, label.toUpperCase(), MARGIN, y, textWidthAvailable);
    y = drawParagraph(page, s.body, value, MARGIN, y, textWidthAvailable) - 3;
  }
  drawQrCode(page, eInvoice.qrPayload, PAGE_WIDTH - MARGIN - QR_SIZE, top - QR_SIZE, QR_SIZE);
  cursor.y = Math.min(y, top - QR_SIZE) - 8;
}

function drawNotes(ctx: Context, cursor: Cursor): void {
  const notes = ctx.view.notes;
  if (!notes?.trim()) return;
  const { styles: s, labels } = ctx;
  const lines = wrapText(s.body, notes, CONTENT_WIDTH);
  if (cursor.y - 40 < BODY_BOTTOM) newPage(ctx, cursor);
  cursor.y -= 12;
  cursor.y = drawParagraph(cursor.page, s.heading, labels.notes, MARGIN, cursor.y, CONTENT_WIDTH) - 2;
  for (const line of lines) {
    // Long notes run onto further pages, line by line.
    if (cursor.y - lineHeight(s.body) < BODY_BOTTOM) newPage(ctx, cursor);
    cursor.y = drawLines(cursor.page, s.body, [line], MARGIN, cursor.y);
  }
}

function drawFooters(ctx: Context): void {
  const { styles: s, labels } = ctx;
  const pages = ctx.doc.getPages();
  const baseline = MARGIN;
  pages.forEach((page, i) => {
    page.drawLine({
      start: { x: MARGIN, y: baseline + 12 },
      end: { x: PAGE_WIDTH - MARGIN, y: baseline + 12 },
      thickness: 0.5,
      color: RULE,
    });
    const left = `${printable(ctx.view.supplier.name)} · ${labels.invoice} ${printable(ctx.displayNumber)}`;
    drawText(page, fitted(s.small, left, CONTENT_WIDTH - 120), left, MARGIN, baseline);
    drawTextRight(page, s.small, labels.page(i + 1, pages.length), PAGE_WIDTH - MARGIN, baseline);
  });
}
