import { z } from "@hono/zod-openapi";
import { CONNECTION_ID_PATTERN } from "./payment";

/** `POST …/invoices/{id}/pay`: what initiate needs beyond the invoice (its amount due, currency, customer). */
export const InvoicePayInput = z
  .strictObject({
    return_url: z.string().max(2048).openapi({
      format: "uri",
      example: "https://shop.example.ng/thanks",
      description:
        "Where the provider sends the customer after the checkout. https; development deployments also take http on a loopback address.",
    }),
    connection_id: z
      .string()
      .regex(CONNECTION_ID_PATTERN, "A connection id (pcn_…) of GET /api/v1/finance/connections")
      .optional()
      .openapi({
        example: "pcn_ng_3f1c2b7e8a4d4c1e9f2a5b6c7d8e9f01",
        description:
          "Which connection takes the payment; absent: the region's defaults for the invoice's currency (NGN → Paystack, then Flutterwave; EUR → Stripe).",
      }),
    customer_email: z.email("Invalid email format").max(254).optional().openapi({
      description: "Who pays at the checkout; default: the invoice's customer email.",
      example: "osho@example.ng",
    }),
  })
  .openapi("InvoicePayInput");
export type InvoicePayInput = z.infer<typeof InvoicePayInput>;
