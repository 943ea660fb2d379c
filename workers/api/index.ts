import { buildApp } from "./app";
import { publishLeftBehind } from "./events/scheduled";
import { logError } from "./lib/log-error";

export { ActivationRun } from "../../durable-objects/activation-run";
export { RateLimiter } from "../../durable-objects/rate-limiter";
export { RealtimeShard } from "../../durable-objects/realtime-shard";
export { TenantHub } from "../../durable-objects/tenant-hub";

const app = buildApp();

export default {
  fetch: app.fetch,
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(
      publishLeftBehind(env).then(
        () => {},
        (error: unknown) => logError("scheduled event publishing failed", undefined, error),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
