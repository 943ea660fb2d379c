import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "../app-env";
import { writeLog } from "../observability/log";
import { configureMetrics, recordMetric, statusClass } from "../observability/metrics";

/** One structured line per request, with its trace ids; Workers Logs indexes the JSON fields. */
export const requestLog = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    configureMetrics(c.env);
    try {
      await next();
    } finally {
      // Latency and errors per route and region (route template, so no id or query in it).
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      recordMetric({
        metric: "request",
        region: c.get("config")?.region ?? "unknown",
        name: `${c.req.method} ${routePath(c)}`,
        outcome: statusClass(c.res.status),
        value: durationMs,
        status: c.res.status,
        tenantId: c.get("actor")?.tenantId,
      });
      writeLog({
        level: c.res.status >= 500 ? "error" : "info",
        msg: "request",
        request_id: c.get("requestId"),
        region: c.get("config")?.region ?? null,
        tenant: c.get("actor")?.tenantId ?? null,
        method: c.req.method,
        route: routePath(c),
        status: c.res.status,
        duration_ms: durationMs,
      });
    }
  });
