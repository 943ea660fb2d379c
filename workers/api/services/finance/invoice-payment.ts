import type { InvoiceStatus } from "../../../../db/schema/finance-enums";
import { toMinorUnits } from "../../finance/money";
import { ApiError } from "../../lib/errors";
import type { InvoiceView } from "../../schemas/invoice";
import type { InvoicePayInput } from "../../schemas/invoice-payment";
import type { ServiceContext } from "../context";
import { PAYABLE_INVOICE_STATUSES } from "./invoice-settlement";
import { getInvoice } from "./invoices";
import type { PaymentView } from "./payment-json";
import { initiatePayment, type PaymentDeps } from "./payments";

/**
 * A payment of what the invoice still owes, through the payments service (the same initiate as
 * `POST /api/v1/payments/initiate` with `invoice_id`): its amount due in its currency, its
 * customer's email unless another is given, "Invoice INV-…" at the checkout. When the payment
 * succeeds, the settlement moves the invoice to `paid` (or `partially_paid`, if it was part paid
 * meanwhile). Only a payable invoice (open, partially paid, uncollectible) with something due.
 */
export async function payInvoice(
  ctx: ServiceContext,
  deps: PaymentDeps,
  id: string,
  input: InvoicePayInput,
): Promise<PaymentView> {
  const invoice = JSON.parse(await getInvoice(ctx, id)) as InvoiceView;
  if (!PAYABLE_INVOICE_STATUSES.includes(invoice.status as InvoiceStatus)) {
    throw new ApiError(
      "CONFLICT",
      invoice.status === "draft"
        ? "A draft cannot be paid: finalize it first"
        : `Only an open, partially paid or uncollectible invoice can be paid; this one is ${invoice.status}`,
    );
  }
  const amountMinor = toMinorUnits(invoice.amount_due, invoice.currency);
  if (amountMinor === null || amountMinor <= 0n)
    throw new ApiError("CONFLICT", "Nothing is due on this invoice");
  const customerEmail = input.customer_email ?? invoice.customer.email;
  if (!customerEmail) {
    throw new ApiError("VALIDATION_ERROR", "The invoice's customer has no email: give customer_email", {
      field: "customer_email",
    });
  }
  return initiatePayment(ctx, deps, {
    amountMinor,
    currency: invoice.currency,
    customerEmail,
    returnUrl: input.return_url,
    invoiceId: invoice.id,
    connectionId: input.connection_id,
    description: `Invoice ${invoice.number}`,
  });
}
