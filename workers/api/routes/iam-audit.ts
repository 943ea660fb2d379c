import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { serviceContext } from "../lib/service-context";
import { errorResponses, ListQuery, listOf } from "../schemas/common";
import { AUDIT_ACTIONS } from "../services/identity/audit";
import { listAuditEntries } from "../services/identity/audit-log";
import { pageBody } from "./iam-common";

const AuditEntry = z
  .object({
    id: z.uuid(),
    action: z.enum(AUDIT_ACTIONS),
    outcome: z.enum(["success", "failure"]),
    actor_type: z.enum(["user", "client", "api_key", "system", "anonymous"]),
    actor_id: z.string().nullable(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).openapi({ description: "Ids and reasons; never secrets." }),
    created_at: z.string(),
  })
  .openapi("AuditEntry");

export function registerAuditRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  app.openapi(
    createRoute({
      method: "get",
      path: `${base}/audit`,
      tags: ["iam"],
      security: [{ bearerAuth: [] }],
      summary: "The tenant's audit log",
      description:
        "Sign-in success and failure, token issue/refresh/reuse/revocation, API key, MFA and role changes. Newest " +
        "first, cursor pagination; `action` filters to one action.",
      ...guardedBy("iam.audit.read"),
      request: {
        query: ListQuery.omit({ include_total: true }).extend({
          action: z
            .enum(AUDIT_ACTIONS)
            .optional()
            .openapi({ param: { name: "action", in: "query" } }),
        }),
      },
      responses: {
        200: {
          description: "A page of entries",
          content: { "application/json": { schema: listOf(AuditEntry) } },
        },
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listAuditEntries(serviceContext(c), {
        limit: q.limit,
        cursor: q.cursor,
        action: q.action,
      });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );
}
