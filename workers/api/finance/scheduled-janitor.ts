import { regionDatabase } from "../../../db/client";
import { loadConfig } from "../env";
import { defaultSinks } from "../events/default-sinks";
import { publishPending } from "../events/publisher";
import { liveConnectorSource } from "../services/finance/live-connectors";
import { type JanitorResult, runPaymentJanitor } from "../services/finance/payment-janitor";

/**
 * The cron trigger's finance work (every minute, beside the outbox sweep): the payment janitor
 * over the region's tenants, then what its transitions emitted is published at once.
 */
export async function reverifyPayments(env: Env, now?: Date): Promise<JanitorResult> {
  const config = loadConfig(env);
  const db = regionDatabase(config);
  const result = await runPaymentJanitor({
    db,
    region: config.region,
    connectorsFor: (tenantId) => liveConnectorSource({ db, config, tenantId }),
    ...(now ? { now } : {}),
  });
  if (result.moved > 0 || result.eventsApplied > 0) {
    await publishPending(db, defaultSinks(env, config), { limit: 200, rounds: 5, maxTenants: 100 });
  }
  return result;
}
