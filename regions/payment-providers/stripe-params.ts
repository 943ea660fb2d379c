import { z } from "zod";
import { FormShapeError, parseStripeForm } from "./form-encoding";
import type { RequestContext } from "./routing";
import { fromZod, invalid } from "./stripe-errors";

// The parameters of the Stripe calls the stand-in implements, as zod schemas over the parsed form
// (every leaf a string, as Stripe receives it). Unknown parameters pass: Stripe would refuse
// them, but this stand-in does not know every one a client may send.

const integer = z.string().regex(/^\d+$/, "integer");
const metadataSchema = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, "at most 50 keys");

export const sessionCreateSchema = z.looseObject({
  mode: z.enum(["payment"], "this stand-in implements mode=payment only"),
  line_items: z
    .array(
      z.looseObject({
        price: z.string().optional(),
        price_data: z
          .looseObject({
            currency: z.string().regex(/^[a-zA-Z]{3}$/, "must be a three-letter ISO currency code"),
            unit_amount: integer,
            product_data: z.looseObject({ name: z.string().min(1), description: z.string().optional() }),
          })
          .optional(),
        quantity: integer.optional(),
      }),
    )
    .min(1),
  success_url: z.url().optional(),
  cancel_url: z.url().optional(),
  client_reference_id: z.string().min(1).max(200).optional(),
  metadata: metadataSchema.optional(),
  customer_email: z.email().optional(),
  expires_at: integer.optional(),
  locale: z.string().optional(),
  payment_method_types: z.array(z.string()).optional(),
  payment_intent_data: z.looseObject({ metadata: metadataSchema.optional() }).optional(),
});

export const refundCreateSchema = z.looseObject({
  payment_intent: z.string().min(1).optional(),
  charge: z.string().min(1).optional(),
  amount: integer.optional(),
  reason: z.enum(["duplicate", "fraudulent", "requested_by_customer"]).optional(),
  metadata: metadataSchema.optional(),
});

export const endpointCreateSchema = z.looseObject({
  url: z.url(),
  enabled_events: z.array(z.string().regex(/^(\*|[a-z_]+(\.[a-z_]+)+)$/, "not a known event type")).min(1),
  api_version: z.string().optional(),
  description: z.string().max(5000).optional(),
  metadata: metadataSchema.optional(),
});

/** Form body for POST, query string for GET/DELETE (stripe-node puts GET params in the query). */
export function paramsOf(ctx: RequestContext): Record<string, unknown> {
  try {
    if (ctx.method === "POST") return parseStripeForm(ctx.body.toString("utf8"));
    return parseStripeForm(ctx.query.toString());
  } catch (error) {
    if (error instanceof FormShapeError) throw invalid(error.message);
    throw error;
  }
}

export function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw fromZod(parsed.error, input);
  return parsed.data;
}
