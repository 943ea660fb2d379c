import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import pkg from "../../../package.json";
import type { AppEnv } from "../app-env";
import { checkHealth } from "../services/health";

const Dependency = z.object({
  status: z.enum(["up", "down", "not_configured"]),
  latency_ms: z.number().optional(),
  error: z.string().optional(),
});

const Health = z
  .object({
    status: z.enum(["ok", "degraded", "down"]),
    region: z.string(),
    version: z.string(),
    dependencies: z.object({ db: Dependency, upstash: Dependency, backend: Dependency }),
    isolate: z
      .object({
        upstash: z.enum(["in_use", "bypassed", "not_configured"]).openapi({
          description:
            "`bypassed`: this isolate saw Upstash fail in the last 5 s and serves the directory and API keys from Postgres",
        }),
        revocation_list: z.object({
          source: z.enum(["upstash", "postgres"]).nullable(),
          age_ms: z.number().nullable(),
        }),
      })
      .openapi({ description: "What the answering isolate itself is using (each isolate has its own view)" }),
  })
  .openapi("Health");

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      tags: ["platform"],
      summary: "Region health",
      description:
        "No authentication. 200 while the database answers (`degraded` if an optional dependency is down), 503 otherwise.",
      responses: {
        200: { description: "Serving", content: { "application/json": { schema: Health } } },
        503: { description: "Database unavailable", content: { "application/json": { schema: Health } } },
      },
    }),
    async (c) => {
      const config = c.get("config");
      const report = await checkHealth(config);
      c.header("Cache-Control", "no-store");
      const body = {
        status: report.status,
        region: config.region,
        version: pkg.version,
        dependencies: report.dependencies,
        isolate: report.isolate,
      };
      if (report.status === "down") {
        c.header("Retry-After", "5");
        return c.json(body, 503);
      }
      return c.json(body, 200);
    },
  );
}
