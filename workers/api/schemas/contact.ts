import { z } from "@hono/zod-openapi";
import { CustomFieldsInput } from "./custom-fields";
import { PERSON_FIELDS } from "./person";

/** Writable fields. Strict: `id`, `tenant_id`, timestamps and anything unknown are rejected. */
export const ContactInput = z
  .strictObject({
    ...PERSON_FIELDS,
    job_title: z.string().trim().max(200).nullable().optional(),
    tags: z.array(z.string().trim().min(1).max(50)).max(50).optional(),
    custom_fields: CustomFieldsInput.optional(),
  })
  .openapi("ContactInput");

export type ContactInput = z.infer<typeof ContactInput>;

export const Contact = z
  .object({
    id: z.uuid(),
    first_name: z.string(),
    last_name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    company: z.string().nullable(),
    job_title: z.string().nullable(),
    tags: z.array(z.string()),
    owner_id: z.uuid().nullable(),
    custom_fields: z.record(z.string(), z.unknown()),
    created_at: z.string().openapi({ format: "date-time" }),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Contact");

export type ContactDto = z.infer<typeof Contact>;
