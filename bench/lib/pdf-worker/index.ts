import { longInvoice, ngnInvoice } from "../../../test/support/invoice-pdf-fixtures";
import { renderInvoicePdf } from "../../../workers/api/finance/pdf/render-invoice-pdf";

// A Worker that only renders invoices: `npm run bench -- --only pdf` builds it with wrangler (as
// the API Worker is built) and runs it on workerd, so the renderer's time is measured without the
// API's middleware or database in front of it. GET /render/<lines> renders the one-page NGN
// invoice (1) or the long one with that many lines.

export default {
  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/health") return new Response("ok");
    const match = /^\/render\/(\d+)$/.exec(pathname);
    if (!match) return new Response("GET /render/<lines>", { status: 404 });
    const lines = Number(match[1]);
    const pdf = await renderInvoicePdf(lines <= 3 ? ngnInvoice() : longInvoice(lines));
    return new Response(pdf, { headers: { "content-type": "application/pdf" } });
  },
};
