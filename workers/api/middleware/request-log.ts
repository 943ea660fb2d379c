import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "../app-env";

/** One structured line per request; Workers Logs indexes the JSON fields. */
export const requestLog = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const line = {
        level: c.res.status >= 500 ? "error" : "info",
        msg: "request",
        request_id: c.get("requestId"),
        region: c.get("config")?.region ?? null,
        tenant: c.get("actor")?.tenantId ?? null,
        method: c.req.method,
        route: routePath(c),
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
      };
      console.log(JSON.stringify(line));
    }
  });
