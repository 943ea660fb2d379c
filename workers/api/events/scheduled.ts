import { createDatabase } from "../../../db/client";
import { loadConfig } from "../env";
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
  const db = createDatabase({ url: config.databaseUrl, httpEndpoint: config.databaseHttpUrl });
  return publishPending(db, sinks ?? defaultSinks(env, config), {
    limit: 200,
    minAgeSeconds: SWEEP_MIN_AGE_SECONDS,
    rounds: 10,
    maxTenants: 100,
  });
}
