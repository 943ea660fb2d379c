import type { CheckoutLookup, HostedCheckout, Outcome } from "./checkout";
import { html, type Reply, seeOther } from "./http-io";
import { displayAmount } from "./money";
import type { RequestContext } from "./routing";

// The hosted payment page every provider's URL points at: `GET /checkout/{provider}/{token}`
// shows the amount and a form; `POST` the same URL with `outcome=pay|fail|cancel`
// (Stripe also `fail_async`; application/x-www-form-urlencoded, a browser's form post or
// curl -d) settles it: the
// provider state moves, the webhooks go out (the first attempt is awaited), then a 303 sends the
// browser to the merchant's URL with the provider's query parameters.

const PROVIDER_NAMES = {
  stripe: "Stripe Checkout",
  paystack: "Paystack",
  flutterwave: "Flutterwave",
} as const;
const BASIC_OUTCOMES: readonly Outcome[] = ["pay", "fail", "cancel"];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
.amount{font-size:2rem;font-weight:600;margin:.5rem 0}
.note{color:#555;font-size:.85rem}
button{font-size:1rem;padding:.6rem 1.2rem;margin:.25rem .25rem .25rem 0;border-radius:.4rem;border:1px solid #888;cursor:pointer}
button[value=pay]{background:#1a7f37;color:#fff;border-color:#1a7f37}
button[value=fail]{background:#b42318;color:#fff;border-color:#b42318}
</style></head>
<body>${content}</body></html>`;
}

function checkoutPage(checkout: HostedCheckout): string {
  const heading = `<p class="note">Local stand-in for ${PROVIDER_NAMES[checkout.provider]}: no real money moves.</p>
<h1>${escapeHtml(checkout.description)}</h1>
<p class="amount" data-testid="amount">${escapeHtml(displayAmount(checkout.amountMinor, checkout.currency))}</p>
<p>${checkout.email ? `Paying as ${escapeHtml(checkout.email)} · ` : ""}reference <code>${escapeHtml(checkout.reference)}</code></p>`;
  if (!checkout.open) {
    return page(
      "Payment settled",
      `${heading}<p data-testid="status">This payment is settled: ${escapeHtml(checkout.status)}.</p>`,
    );
  }
  return page(
    `Pay ${displayAmount(checkout.amountMinor, checkout.currency)}`,
    `${heading}
<form method="post">
<button type="submit" name="outcome" value="pay">Pay</button>
<button type="submit" name="outcome" value="fail">Fail</button>
<button type="submit" name="outcome" value="cancel">Cancel</button>
${(checkout.extraOutcomes ?? []).map(({ outcome, label }) => `<button type="submit" name="outcome" value="${outcome}">${escapeHtml(label)}</button>`).join("\n")}
</form>
<p class="note">${escapeHtml(checkout.failNote)}</p>`,
  );
}

export function createCheckoutPages(lookups: Record<HostedCheckout["provider"], CheckoutLookup>) {
  return async function handle(ctx: RequestContext): Promise<Reply | undefined> {
    const found = /^\/checkout\/(stripe|paystack|flutterwave)\/([A-Za-z0-9_-]+)$/.exec(ctx.path);
    if (!found) return undefined;
    const provider = found[1] as HostedCheckout["provider"];
    const checkout = lookups[provider](found[2] as string);
    if (!checkout)
      return html(
        404,
        page("Not found", "<h1>No such checkout</h1><p>The link is unknown or was reset.</p>"),
      );
    if (ctx.method === "GET" || ctx.method === "HEAD") return html(200, checkoutPage(checkout));
    if (ctx.method !== "POST") return html(405, page("Method not allowed", "<h1>Use GET or POST</h1>"));
    const outcome = new URLSearchParams(ctx.body.toString("utf8")).get("outcome") as Outcome | null;
    const offered = [...BASIC_OUTCOMES, ...(checkout.extraOutcomes ?? []).map((extra) => extra.outcome)];
    if (!outcome || !offered.includes(outcome)) {
      return html(
        400,
        page("Bad request", "<h1>outcome must be one of the buttons (pay, fail, cancel)</h1>"),
      );
    }
    if (!checkout.open) {
      return html(
        409,
        page(
          "Already settled",
          `<h1>Already settled</h1><p data-testid="status">${escapeHtml(checkout.status)}</p>`,
        ),
      );
    }
    const next = await checkout.settle(outcome);
    if (next) return seeOther(next);
    const settled = lookups[provider](found[2] as string) ?? checkout;
    return html(
      200,
      page(
        "Done",
        `<h1>Done: ${escapeHtml(outcome)}</h1><p data-testid="status">${escapeHtml(settled.status)}</p><p>The merchant gave no URL to return to.</p>`,
      ),
    );
  };
}
