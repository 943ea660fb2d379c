import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "../app-env";
import { FORWARDED_FROM_HEADER } from "../auth/forwarded-client";
import { configureTracing, workerTracing } from "../observability/tracing";

/** Lets a developer find the request's trace in the collector (the viewer's search takes it). */
export const TRACE_ID_HEADER = "Nexus-Trace-Id";

/**
 * The request's server span, the root of everything the request does in this region. A
 * `traceparent` is honoured only on a request another region forwarded (it names the sending
 * region's span, and its sampling decision is kept so both halves are exported or neither);
 * a client's own is ignored, so no caller can make every request of theirs sampled.
 * Spans carry the route template, never the URL (see span-attributes.ts).
 */
export const traceRequest = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const config = c.get("config");
    if (!configureTracing(config)) return next();
    const forwardedFrom = c.req.header(FORWARDED_FROM_HEADER);
    const parent = forwardedFrom ? workerTracing.extract(c.req.raw.headers) : undefined;
    let rootSpanId = "";
    await workerTracing.inSpan(
      c.req.method,
      {
        kind: SpanKind.SERVER,
        sampleRate: config.traces.sampleRate,
        ...(parent ? { parent } : {}),
        attributes: {
          "http.request.method": c.req.method,
          "nexus.region": config.region,
          "nexus.request_id": c.get("requestId"),
          ...(forwardedFrom ? { "nexus.forwarded_from": forwardedFrom } : {}),
        },
      },
      async (span) => {
        rootSpanId = span.spanContext().spanId;
        try {
          await next();
        } finally {
          const route = routePath(c);
          span.updateName(`${c.req.method} ${route}`);
          span.setAttribute("http.route", route);
          span.setAttribute("http.response.status_code", c.res.status);
          const tenant = c.get("actor")?.tenantId;
          if (tenant) span.setAttribute("nexus.tenant_id", tenant);
          if (c.res.status >= 500) {
            span.setStatus({ code: SpanStatusCode.ERROR });
            span.setAttribute("error.type", String(c.res.status));
          }
          try {
            if (!c.res.headers.has(TRACE_ID_HEADER)) c.header(TRACE_ID_HEADER, span.spanContext().traceId);
          } catch {
            // A WebSocket upgrade passed through from the home region has immutable headers.
          }
        }
      },
    );
    // The export (if this trace is kept) outlives the response.
    try {
      c.executionCtx.waitUntil(workerTracing.settled(rootSpanId));
    } catch {
      // No execution context (app.request in a unit test): nothing to wait on.
    }
  });
