import { z } from "@hono/zod-openapi";
import { OPPORTUNITY_STATUSES } from "../../../db/schema/opportunities";
import { CalendarDate, derivedField } from "./common";
import { CustomFieldsInput } from "./custom-fields";

const AMOUNT = /^\d{1,10}(\.\d{1,2})?$/;

/**
 * An amount as numeric(12,2) takes it: the decimal text of a string as sent, or of a number as
 * JavaScript prints it (so 0.1 + 0.2, printed 0.30000000000000004, is refused, not rounded).
 */
export function amountText(value: string | number): string | undefined {
  const text = typeof value === "number" ? String(value) : value;
  return AMOUNT.test(text) ? text : undefined;
}

const Amount = z
  .union([z.string(), z.number()])
  .refine((v) => amountText(v) !== undefined, "An amount from 0 to 9999999999.99 with at most 2 decimals")
  .openapi({
    description: 'A decimal string ("1250.00") or a number; at most 2 decimals, at most 9999999999.99.',
    example: "1250.00",
  });

/** The writable fields (all optional here; the create schema requires `name`). */
export const OpportunityFields = {
  name: z.string().trim().min(1).max(200),
  contact_id: z.uuid().nullable().optional(),
  owner_id: z.uuid().nullable().optional(),
  stage: z.string().min(1).max(64).optional().openapi({
    description: "A stage key of the tenant's pipeline (its industry preset's stage ids).",
    example: "proposal",
  }),
  amount: Amount.nullable().optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, "An ISO 4217 currency code")
    .optional()
    .openapi({ description: "ISO 4217; defaults to the tenant's currency." }),
  expected_close_date: CalendarDate.nullable().optional(),
  custom_fields: CustomFieldsInput.optional(),
  status: derivedField(
    "status follows the stage: to win or lose the deal, set stage to a won or lost stage of the tenant's pipeline",
  ),
  closed_at: derivedField("closed_at is set when the stage becomes won or lost: set stage instead"),
};

/**
 * Writable fields. Strict: `id`, `tenant_id`, timestamps, `lead_id` (set by conversion) and
 * anything unknown are rejected; `status` and `closed_at` (derived from the stage) too, with a
 * message that points to `stage`.
 */
export const OpportunityInput = z.strictObject(OpportunityFields).openapi("OpportunityInput");
export type OpportunityInput = z.infer<typeof OpportunityInput>;

export const OpportunityPatch = z
  .strictObject({ ...OpportunityFields, name: OpportunityFields.name.optional() })
  .refine((patch) => Object.keys(patch).length > 0, "Nothing to change")
  .openapi("OpportunityPatch");
export type OpportunityPatch = z.infer<typeof OpportunityPatch>;

export const Opportunity = z
  .object({
    id: z.uuid(),
    name: z.string(),
    contact_id: z.uuid().nullable(),
    lead_id: z.uuid().nullable(),
    owner_id: z.uuid().nullable(),
    stage: z.string(),
    status: z.enum(OPPORTUNITY_STATUSES),
    amount: z.string().nullable().openapi({ example: "1250.00" }),
    currency: z.string(),
    expected_close_date: z.string().nullable().openapi({ format: "date" }),
    closed_at: z.string().nullable().openapi({ format: "date-time" }),
    custom_fields: z.record(z.string(), z.unknown()),
    created_at: z.string().openapi({ format: "date-time" }),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Opportunity");
