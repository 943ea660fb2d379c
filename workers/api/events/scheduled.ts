import { regionDatabase } from "../../../db/client";
import { pokeDispatchers } from "../../../durable-objects/webhook-dispatcher-client";
import { loadConfig } from "../env";
import { dueDeliveries, tenantsWithDueDeliveries } from "../webhooks/delivery-store";
import { defaultSinks } from "./default-sinks";
import { type PublishResult, publishPending } from "./publisher";
import type { EventSink } from "./sink";

/**
 * Rows younger than this are left to the request that wrote them, which publishes them within
 * milliseconds of its commit; older unpublished rows were left behind (the Worker died after the
 * commit, or a sink failed) and are the sweep's.
 */
export const SWEEP_MIN_AGE_SECONDS = 10;

/**
 * The cron trigger's work (every minute, wrangler.toml): publish what requests left behind,
 * across the region's tenants, so nothing committed stays unpublished for long.
 */
export async function publishLeftBehind(env: Env, sinks?: readonly EventSink[]): Promise<PublishResult> {
  const config = loadConfig(env);
  const db = regionDatabase(config);
  return publishPending(db, sinks ?? defaultSinks(env, config), {
    limit: 200,
    minAgeSeconds: SWEEP_MIN_AGE_SECONDS,
    rounds: 10,
    maxTenants: 100,
  });
}

/** Deliveries per tenant per sweep; a tenant with more gets the rest next minute. */
const REDISPATCH_BATCH = 500;

/**
 * The other half of the cron's work: deliveries that are due and that no dispatcher holds (the
 * Worker died between the insert and the poke, or the object lost its queue) are handed to their
 * endpoints' dispatchers again. Answers how many were re-poked.
 */
export async function redispatchDueDeliveries(env: Env): Promise<number> {
  const config = loadConfig(env);
  const db = regionDatabase(config);
  const placement = { region: config.region, localRuntime: config.localRuntime };
  let poked = 0;
  for (const tenantId of await tenantsWithDueDeliveries(db, 100)) {
    const due = await dueDeliveries(db, tenantId, REDISPATCH_BATCH);
    await pokeDispatchers(env.WEBHOOK_DISPATCHER, placement, tenantId, due);
    for (const ids of due.values()) poked += ids.length;
  }
  return poked;
}
