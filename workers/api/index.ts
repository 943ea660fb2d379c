import { buildApp } from "./app";
import { publishLeftBehind, redispatchDueDeliveries } from "./events/scheduled";
import { reverifyPayments } from "./finance/scheduled-janitor";
import { logError } from "./lib/log-error";
import { deliverLeftBehindMail } from "./mail/mail-delivery";
import { sweepRetention } from "./services/privacy/retention";
import { resumePrivacyRequests } from "./services/privacy/run";
import { sealScheduled } from "./services/privacy/seal-backfill";
import { embedScheduled } from "./services/search/embed-scheduled";

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
      deliverLeftBehindMail(env).then(
        () => {},
        (error: unknown) => logError("scheduled mail delivery failed", undefined, error),
      ),
    );
    ctx.waitUntil(
      embedScheduled(env).then(
        () => {},
        (error: unknown) => logError("scheduled embedding sweep failed", undefined, error),
      ),
    );
    ctx.waitUntil(
      resumePrivacyRequests(env).then(
        () => {},
        (error: unknown) => logError("scheduled privacy request resume failed", undefined, error),
      ),
    );
    ctx.waitUntil(
      sweepRetention(env).then(
        () => {},
        (error: unknown) => logError("scheduled retention sweep failed", undefined, error),
      ),
    );
    ctx.waitUntil(
      reverifyPayments(env).then(
        () => {},
        (error: unknown) => logError("scheduled payment janitor failed", undefined, error),
      ),
    );
    ctx.waitUntil(
      sealScheduled(env).then(
        () => {},
        (error: unknown) => logError("scheduled sealing of sensitive fields failed", undefined, error),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
