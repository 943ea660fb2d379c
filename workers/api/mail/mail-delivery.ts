import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { regionDatabase } from "../../../db/client";
import type { AppEnv } from "../app-env";
import type { Config } from "../env";
import { loadConfig } from "../env";
import { logError } from "../lib/log-error";
import { deferOf } from "../lib/service-context";
import { deliverDueMail, type MailDeliveryResult } from "./mail-outbox";
import type { MailTransport } from "./mail-port";
import { RelayMailTransport } from "./relay-transport";

/** The region's way out for mail; undefined where no relay is configured (mail waits queued). */
export function mailTransport(config: Config): MailTransport | undefined {
  return config.mail.relayUrl
    ? new RelayMailTransport(config.mail.relayUrl, config.mail.relayToken)
    : undefined;
}

/** What a handler calls after its statements queued mail: send those rows once committed. */
export function sendAfterCommit(c: Context<AppEnv>, ids: readonly string[]): void {
  if (ids.length === 0) return;
  c.set("mailQueued", [...(c.get("mailQueued") ?? []), ...ids]);
}

/**
 * Sends, after the response (`waitUntil`), the mail a request queued. Outermost, so it runs
 * after an idempotent request's COMMIT; with a database of its own. A failure here only delays
 * the message: the cron sweep (deliverLeftBehindMail) retries due rows every minute.
 */
export const deliverQueuedMail = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const ids = c.get("mailQueued");
    const defer = deferOf(c);
    if (!ids || ids.length === 0 || !defer) return;
    const config = c.get("config");
    const transport = mailTransport(config);
    if (!transport) return;
    defer(
      deliverDueMail(regionDatabase(config), config.dataEncryptionKey, transport, {
        ids,
        limit: ids.length,
        retryBaseSeconds: config.mail.retryBaseSeconds,
      }).then(
        () => {},
        (error: unknown) => logError("mail delivery after commit failed", c.get("requestId"), error),
      ),
    );
  });

/** The cron's share: every due message of the region (retries, and what a dead Worker left). */
export async function deliverLeftBehindMail(env: Env): Promise<MailDeliveryResult> {
  const config = loadConfig(env);
  const transport = mailTransport(config);
  if (!transport) return { sent: 0, retrying: 0, failed: 0 };
  return deliverDueMail(regionDatabase(config), config.dataEncryptionKey, transport, {
    limit: 200,
    retryBaseSeconds: config.mail.retryBaseSeconds,
  });
}
