import { z } from "@hono/zod-openapi";
import { LEAD_SOURCES, LEAD_STATUSES } from "../../../db/schema/leads";
import { CustomFieldsInput } from "./custom-fields";
import { OpportunityFields } from "./opportunity";
import { PERSON_FIELDS } from "./person";

/** Statuses a client sets; `converted` only comes from POST /{id}/convert. */
const SETTABLE_STATUSES = ["new", "contacted", "qualified", "unqualified"] as const;
const settableStatus = z.enum(SETTABLE_STATUSES, {
  // Other values get the options listed (lib/validation.ts).
  error: (issue) =>
    issue.input === "converted" ? "A lead becomes converted only through POST /{id}/convert" : undefined,
});

const LEAD_FIELDS = {
  ...PERSON_FIELDS,
  title: z.string().trim().max(200).nullable().optional(),
  source: z.enum(LEAD_SOURCES).optional(),
  status: settableStatus.optional(),
  /** An existing contact of the tenant this lead is about. */
  contact_id: z.uuid().nullable().optional(),
  custom_fields: CustomFieldsInput.optional(),
};

/**
 * Writable fields. Strict: `id`, `tenant_id`, timestamps, `converted_at`,
 * `converted_opportunity_id` and anything unknown are rejected.
 */
export const LeadInput = z.strictObject(LEAD_FIELDS).openapi("LeadInput");
export type LeadInput = z.infer<typeof LeadInput>;

/** The fields to change; `custom_fields`, when given, replaces the whole object. */
export const LeadPatch = z
  .strictObject({ ...LEAD_FIELDS, first_name: PERSON_FIELDS.first_name.optional() })
  .refine((patch) => Object.keys(patch).length > 0, "Nothing to change")
  .openapi("LeadPatch");
export type LeadPatch = z.infer<typeof LeadPatch>;

export const Lead = z
  .object({
    id: z.uuid(),
    contact_id: z.uuid().nullable(),
    first_name: z.string(),
    last_name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    company: z.string().nullable(),
    title: z.string().nullable(),
    source: z.enum(LEAD_SOURCES),
    status: z.enum(LEAD_STATUSES),
    owner_id: z.uuid().nullable(),
    custom_fields: z.record(z.string(), z.unknown()),
    converted_at: z.string().nullable().openapi({ format: "date-time" }),
    converted_opportunity_id: z.uuid().nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Lead");

/** The opportunity a conversion opens: its contact is the conversion's (`contact_id` above it). */
const { contact_id: _contact, ...opportunityFields } = OpportunityFields;
const OPPORTUNITY_OF_LEAD = { ...opportunityFields, name: OpportunityFields.name.optional() };

export const LeadConversionInput = z
  .strictObject({
    opportunity: z
      .strictObject(OPPORTUNITY_OF_LEAD)
      .optional()
      .openapi({
        description:
          "The opportunity to open. `name` defaults to the lead's company, else its name; `stage` to the " +
          "pipeline's first open stage; `currency` to the tenant's; `owner_id` to the lead's owner.",
      }),
    contact_id: z.uuid().optional().openapi({
      description: "An existing contact of the tenant to attach instead of creating one from the lead.",
    }),
    contact: z
      .strictObject({ custom_fields: CustomFieldsInput.optional() })
      .optional()
      .openapi({
        description:
          "For the contact created from the lead (the lead has none and no `contact_id` is given): its custom " +
          "fields, checked like a contact's own (a tenant's required contact fields must be here).",
      }),
  })
  .refine((body) => !(body.contact_id && body.contact), {
    message: "Give contact_id or contact, not both",
    path: ["contact"],
  })
  .openapi("LeadConversionInput");
export type LeadConversionInput = z.infer<typeof LeadConversionInput>;
