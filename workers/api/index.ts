import { buildApp } from "./app";
import { publishLeftBehind, redispatchDueDeliveries } from "./events/scheduled";
import { reverifyPayments } from "./finance/scheduled-janitor";
import { logError } from "./lib/log-error";

export { ActivationRun } from "../../durable-objects/activation-run";
export { RateLimiter } from "../../durable-objects/rate-limiter";
export { RealtimeShard } from "../../durable-objects/realtime-shard";
export { TenantHub } from "../../durable-objects/tenant-hub";
export { WebhookDispatcher } from "../../durable-objects/webhook-dispatcher";

const app = buildApp();

export default {
  fetch: app.fetch,
  scheduled(_controller, env, ctx) {
    // Publish first: the events it publishes create deliveries that are poked at once.
    ctx.waitUntil(
      publishLeftBehind(env)
        .then(
          () => {},
          (error: unknown) => logError("scheduled event publishing failed", undefined, error),
        )
        .then(() => redispatchDueDeliveries(env))
        .then(
          () => {},
          (error: unknown) => logError("scheduled webhook redispatch failed", undefined, error),
        ),
    );
    ctx.waitUntil(
      reverifyPayments(env).then(
        () => {},
        (error: unknown) => logError("scheduled payment janitor failed", undefined, error),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
