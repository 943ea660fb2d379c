import { z } from "@hono/zod-openapi";

/** The fields a contact and a lead share, with the same rules (a lead becomes a contact). */
export const PERSON_FIELDS = {
  first_name: z.string().trim().min(1).max(100),
  last_name: z.string().trim().max(100).nullable().optional(),
  email: z.email("Invalid email format").max(254).nullable().optional(),
  phone: z
    .string()
    .regex(/^\+?[0-9 ()-]{4,32}$/, "Invalid phone number")
    .nullable()
    .optional(),
  company: z.string().trim().max(200).nullable().optional(),
  owner_id: z.uuid().nullable().optional(),
};
