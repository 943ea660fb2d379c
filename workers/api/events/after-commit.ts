import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { regionDatabase } from "../../../db/client";
import type { AppEnv } from "../app-env";
import { logError } from "../lib/log-error";
import { deferOf } from "../lib/service-context";
import { injectedFault } from "../lib/test-faults";
import { defaultSinks } from "./default-sinks";
import { publishPending } from "./publisher";

/** Enough for any one request's events, plus a few a crashed request of the tenant left behind. */
const BATCH = 100;

/**
 * Test deployments: `Nexus-Test-Fault: events:hold-publish` keeps the publish waiting this long
 * after the response, so a test can kill the process in between — a Worker that died after its
 * commit — and show the scheduled sweep delivering what it left (test/crash/).
 */
const FAULTS = ["events:hold-publish"] as const;
const HOLD_MS = 120_000;

/** What a route calls after a service wrote events: publish the tenant's events once committed. */
export function publishAfterCommit(c: Context<AppEnv>): void {
  const actor = c.get("actor");
  if (actor) c.set("eventsOf", actor.tenantId);
}

/**
 * Publishes, after the response (`waitUntil`), the events of a request whose route called
 * publishAfterCommit. It wraps the idempotency middleware, so its work starts only after that
 * middleware's COMMIT; a request without a key has committed when its service returned. It uses
 * a database of its own: the request's transaction, if any, has ended. If the Worker dies before
 * this runs, or the publish fails, the scheduled sweep publishes the rows (events/scheduled.ts).
 */
export const publishEvents = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const tenantId = c.get("eventsOf");
    const defer = deferOf(c);
    if (tenantId === undefined || !defer) return;
    const config = c.get("config");
    const db = regionDatabase(config);
    const held = injectedFault(c, FAULTS)
      ? new Promise((resolve) => setTimeout(resolve, HOLD_MS))
      : undefined;
    defer(
      Promise.resolve(held)
        .then(() => publishPending(db, defaultSinks(c.env, config), { tenantId, limit: BATCH }))
        .then(
          () => {},
          (error: unknown) => logError("publishing events failed", c.get("requestId"), error),
        ),
    );
  });
