/** The OpenAPI tag every finance route carries. */
export const FINANCE_TAG = {
  name: "finance",
  description:
    "Payments through the tenant's own Stripe, Paystack and Flutterwave accounts (connections), invoices and " +
    "their PDFs. A payment that names no connection goes through the tenant's connection for its currency: NGN " +
    "→ Paystack, else Flutterwave; EUR and other currencies → Stripe.",
};
