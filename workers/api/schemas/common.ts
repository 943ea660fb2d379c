import { z } from "@hono/zod-openapi";

export const UuidParam = z.object({
  id: z
    .uuid()
    .openapi({ param: { name: "id", in: "path" }, example: "3f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f01" }),
});

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/**
 * A whole number in a query string: decimal digits only (`0x10`, `1e2`, ` 5` and `-1` are refused,
 * which `Number()` would take), at most 15 so it stays exact. Documented as an integer.
 */
export const queryInteger = (bounds: { min: number; max?: number }) =>
  z
    .string()
    .regex(/^\d{1,15}$/, "A whole number in decimal digits")
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(bounds.min)
        .max(bounds.max ?? Number.MAX_SAFE_INTEGER),
    )
    .openapi({
      type: "integer",
      minimum: bounds.min,
      ...(bounds.max === undefined ? {} : { maximum: bounds.max }),
    });

export const ListQuery = z.object({
  limit: queryInteger({ min: 1, max: MAX_PAGE_SIZE })
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ param: { name: "limit", in: "query" }, description: `Page size, 1–${MAX_PAGE_SIZE}.` }),
  cursor: z
    .string()
    .max(256)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "meta.cursor of the previous page." }),
  include_total: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true")
    .openapi({
      param: { name: "include_total", in: "query" },
      description: "Adds meta.total (one extra count).",
    }),
});

/** An optional query parameter of a list. */
export const listFilter = <T extends z.ZodType>(schema: T, name: string, description: string) =>
  schema.optional().openapi({ param: { name, in: "query" }, description });

/** `updated_since` of every list: RFC 3339, inclusive. */
export const UpdatedSince = listFilter(
  z.iso.datetime({ offset: true }),
  "updated_since",
  "Changed at or after this time (RFC 3339).",
);

/** A real calendar date as `YYYY-MM-DD` (no 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

export const CalendarDate = z
  .string()
  .refine(isCalendarDate, "A date as YYYY-MM-DD")
  .openapi({ format: "date", example: "2026-12-31" });

/**
 * A field a client may not write because the server derives it, declared where a strict object
 * would otherwise refuse it as unknown: sending it answers 400 with `message`, which says what to
 * write instead. Absent, it is nothing.
 */
export const derivedField = (message: string) =>
  z
    .unknown()
    .refine(() => false, message)
    .optional()
    .openapi({ readOnly: true, description: `Read-only. ${message}` });

export const ListMetaSchema = z
  .object({
    limit: z.number().int(),
    cursor: z.string().nullable(),
    has_more: z.boolean(),
    total: z.number().int().optional(),
  })
  .openapi("ListMeta");

export const ErrorSchema = z
  .object({
    status: z.literal("error"),
    errors: z.array(z.object({ code: z.string(), message: z.string(), field: z.string().optional() })),
    request_id: z.string(),
  })
  .openapi("Error");

export const successOf = <T extends z.ZodType>(data: T) =>
  z.object({ status: z.literal("success"), data, request_id: z.string() });

export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({
    status: z.literal("success"),
    data: z.array(item),
    meta: ListMetaSchema,
    request_id: z.string(),
  });

/** OpenAPI error responses for the given statuses, all in the envelope. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: "Error", content: { "application/json": { schema: ErrorSchema } } },
    ]),
  );

/** An OpenAPI JSON response. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** A required JSON request body. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});
