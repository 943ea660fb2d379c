import { z } from "@hono/zod-openapi";

/**
 * Custom field values are flat: scalars or lists of scalars. Nested documents belong in a real
 * resource, and flat values can be validated against a preset's field types.
 */
const scalar = z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]);
const customFieldValue = z.union([scalar, z.array(z.union([z.string().max(200), z.number()])).max(100)]);

/**
 * `custom_fields` of contacts, leads and opportunities. For a tenant with an industry, contacts
 * and leads are further checked against its field definitions (services/custom-fields.ts).
 */
export const CustomFieldsInput = z
  .record(
    z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "Custom field names are snake_case, at most 64 characters"),
    customFieldValue,
  )
  .refine((o) => Object.keys(o).length <= 50, "At most 50 custom fields")
  .openapi({
    description:
      "Flat values (text, number, boolean, null, or a list of text/numbers), at most 50. A tenant with an " +
      "industry preset has typed fields for contacts and leads: unknown keys, values of the wrong type " +
      "(text, number, boolean, date `YYYY-MM-DD`, one of an enum's options) and missing required fields are " +
      "refused (400, field `custom_fields.<key>`); null counts as no value. A tenant without one keeps them free-form.",
  });

export type CustomFieldsInput = z.infer<typeof CustomFieldsInput>;
