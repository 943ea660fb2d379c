import { type InvoicePdfViewInput, invoicePdfViewSchema } from "./invoice-pdf-view";
import { INVOICE_PDF_RENDERER_VERSION } from "./render-invoice-pdf";

/**
 * A strong ETag for the PDF of a view: SHA-256 over the renderer version and the view in canonical
 * form (defaults filled in, keys sorted), so it changes exactly when the bytes would: a new
 * revision of the invoice, or a renderer that draws differently. The route can answer
 * `If-None-Match` with 304 before rendering anything.
 */
export async function invoicePdfEtag(input: InvoicePdfViewInput): Promise<string> {
  const view = invoicePdfViewSchema.parse(input);
  const text = `invoice-pdf/${INVOICE_PDF_RENDERER_VERSION}\n${canonicalJson(view)}`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  const hex = Array.from(digest.subarray(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `"pdf${INVOICE_PDF_RENDERER_VERSION}-${hex}"`;
}

/** JSON with object keys sorted at every depth: equal views give equal text whatever built them. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
