import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonResponse, queryInteger, successOf } from "../schemas/common";
import { UsageReport } from "../schemas/usage";
import { usageReport } from "../services/usage/usage-report";
import { successBody } from "./iam-common";

const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];

/** GET /api/v1/nexus/usage: what the console's overview charts. */
export function registerUsageRoutes(app: OpenAPIHono<AppEnv>, path: string): void {
  app.openapi(
    createRoute({
      tags: ["nexus"],
      security,
      method: "get",
      path,
      summary: "The tenant's usage by hour",
      description:
        "The last `hours` hours (default 24, at most 168), one entry per UTC hour, oldest first, the current hour " +
        "last: API requests made with the tenant's credentials at its home region (`requests`), how many of them " +
        "were refused with 429 (`rate_limited`: the rate limits, or another limit such as the AI budget), the " +
        "domain events its changes emitted (`events`), and webhook delivery attempts with how many a receiver " +
        "answered 2xx (`webhook_attempts`, `webhook_succeeded`). `totals` sums the window and gives the webhook " +
        "success rate. Request counts are written just after each response, so a request appears within moments; " +
        "they describe use and are not a bill. Owner and Admin (`tenant.usage.read`); a client needs `iam:read`.",
      ...guardedBy("tenant.usage.read"),
      request: {
        query: z.object({
          hours: queryInteger({ min: 1, max: 168 })
            .default(24)
            .openapi({
              param: { name: "hours", in: "query" },
              description: "Window length in hours, 1–168.",
            }),
        }),
      },
      responses: {
        200: jsonResponse(successOf(UsageReport), "Usage by hour"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const { hours } = c.req.valid("query");
      return c.json(successBody(await usageReport(serviceContext(c), hours), c.get("requestId")), 200);
    },
  );
}
