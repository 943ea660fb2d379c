import { z } from "@hono/zod-openapi";

export const UsageHour = z
  .object({
    hour: z
      .string()
      .openapi({ description: "Start of the hour, RFC 3339 UTC.", example: "2026-12-04T09:00:00Z" }),
    requests: z.number().int().openapi({ description: "API requests authenticated as the tenant." }),
    rate_limited: z.number().int().openapi({ description: "Of those, how many were refused with 429." }),
    events: z.number().int().openapi({ description: "Domain events the tenant's changes emitted." }),
    webhook_attempts: z.number().int().openapi({ description: "Webhook delivery attempts made." }),
    webhook_succeeded: z
      .number()
      .int()
      .openapi({ description: "Of those, how many a receiver answered 2xx." }),
  })
  .openapi("UsageHour");

export const UsageReport = z
  .object({
    from: z.string().openapi({ description: "Start of the first hour in `hours`." }),
    to: z.string().openapi({ description: "End of the last hour (the start of the next one)." }),
    hours: z
      .array(UsageHour)
      .openapi({ description: "One entry per hour, oldest first, hours with nothing included." }),
    totals: UsageHour.omit({ hour: true }).extend({
      webhook_success_rate: z.number().nullable().openapi({
        description: "webhook_succeeded / webhook_attempts over the window; null without attempts.",
      }),
    }),
  })
  .openapi("UsageReport");

export type UsageHour = z.infer<typeof UsageHour>;
export type UsageReport = z.infer<typeof UsageReport>;
