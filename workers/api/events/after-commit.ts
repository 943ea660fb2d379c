import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { regionDatabase } from "../../../db/client";
import type { AppEnv } from "../app-env";
import { logError } from "../lib/log-error";
import { deferOf } from "../lib/service-context";
import { injectedFault } from "../lib/test-faults";
import { CoalescedRuns } from "./coalesced-runs";
import { defaultSinks } from "./default-sinks";
import { publishPending } from "./publisher";

/** Rows per claim; a run claims again while its batches come back full (ROUNDS at most). */
const BATCH = 100;
/** Enough for the events of every request of a tenant that committed while the previous run ran. */
const ROUNDS = 10;

// Per isolate: one publish per tenant at a time, the requests that commit meanwhile share the next.
const publishes = new CoalescedRuns();

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
 *
 * Coalesced per tenant (coalesced-runs.ts): a request whose commit lands while the tenant's
 * publish is running waits for the next run, which starts after it and so claims its rows.
 */
export const publishEvents = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const tenantId = c.get("eventsOf");
    const defer = deferOf(c);
    if (tenantId === undefined || !defer) return;
    const held = injectedFault(c, FAULTS)
      ? new Promise((resolve) => setTimeout(resolve, HOLD_MS))
      : undefined;
    defer(Promise.resolve(held).then(() => publishTenantEvents(c, tenantId)));
  });

/**
 * Publishes a tenant's committed events now, coalesced with this isolate's other publishes of the
 * tenant. For work that commits after its response (the provider webhook intake applies events
 * in waitUntil); routes call publishAfterCommit instead. Never rejects: a failure is logged and
 * left to the sweep.
 */
export function publishTenantEvents(c: Context<AppEnv>, tenantId: string): Promise<void> {
  const config = c.get("config");
  const db = regionDatabase(config);
  const publish = () =>
    publishPending(db, defaultSinks(c.env, config), { tenantId, limit: BATCH, rounds: ROUNDS }).then(
      () => {},
      (error: unknown) => logError("publishing events failed", c.get("requestId"), error),
    );
  return publishes.run(tenantId, publish);
}
