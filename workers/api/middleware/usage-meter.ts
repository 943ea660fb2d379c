import { ROOT_CONTEXT } from "@opentelemetry/api";
import { createMiddleware } from "hono/factory";
import { regionDatabase } from "../../../db/client";
import type { AppEnv } from "../app-env";
import { logError } from "../lib/log-error";
import { workerTracing } from "../observability/tracing";
import { UsageMeter } from "../usage/usage-meter";

// Per isolate: counts waiting to be written (usage/usage-meter.ts).
const meter = new UsageMeter();

/**
 * Counts every request a tenant's credential made at its home region (forwarded requests are
 * counted where they are served), refused ones included: it runs before the rate limiter and
 * reads the status the request ended with. A 429 counts as rate limited, whichever limit refused
 * it. The write happens after the response (waitUntil), never on the request's path; it uses
 * the region's database, not the request's idempotency transaction, which is over by then.
 */
export const usageMeter = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const actor = c.get("actor");
    if (!actor) return;
    meter.count(actor.tenantId, new Date(), c.res.status === 429);
    const config = c.get("config");
    const requestId = c.get("requestId");
    // Outside the request's trace: the write carries the counts of many requests, after this one
    // answered and its trace was exported (its SQL span would have no exported parent).
    const write = workerTracing.withContext(ROOT_CONTEXT, () =>
      meter.flush(
        actor.tenantId,
        () => regionDatabase(config),
        (cause) => logError("usage counters not written", requestId, cause),
      ),
    );
    try {
      c.executionCtx.waitUntil(write);
    } catch {
      await write; // no execution context (a test calling app.request): finish before answering
    }
  });
