import type { Database } from "../../../db/client";
import { currentRegion, recordMetric, statusClass } from "../observability/metrics";
import { inRemoteTrace } from "../observability/remote-trace";
import { PlatformEvent } from "../schemas/event";
import { revealSealed } from "../services/privacy/subject-keys";
import { openEndpointSecrets } from "../services/webhook-endpoints";
import { buildDeliveryRequest } from "./delivery-request";
import { type AttemptOutcome, claimDelivery, recordOutcome } from "./delivery-store";
import { retryDelayMs } from "./retry-schedule";
import { checkWebhookUrl } from "./url-guard";

export interface AttemptDeps {
  db: Database;
  dataKey: string | undefined;
  allowPrivateTargets: boolean;
  retryBaseMs: number;
  /** WEBHOOK_TIMEOUT_MS: ATTEMPT_TIMEOUT_MS (30 s) except in tests. */
  timeoutMs: number;
  /** The network; tests and the bench never replace it, it is here to keep this module pure. */
  fetch?: typeof fetch;
  /** The region traces (a collector is configured): a sampled event's delivery joins its trace. */
  traced?: boolean;
}

/** What the dispatcher does with the delivery next: try again at `retryAt`, or forget it. */
export type AttemptResult = { retryAt: number } | { done: true };

const DONE: AttemptResult = { done: true };

/**
 * One attempt at one delivery, everything read from Postgres: claim the row, rebuild the signed
 * request from the stored event and the endpoint's current secrets, send it (30 s timeout, no
 * redirects), log the attempt and move the delivery on. A 2xx succeeds; anything else is retried
 * on the schedule of retry-schedule.ts, then fails. Conditions no retry can change (endpoint
 * deleted or disabled, URL now refused, event gone) fail the delivery at once, with a reason.
 *
 * Throws only when Postgres does: the dispatcher keeps the id and tries again later.
 */
export async function attemptDelivery(
  deps: AttemptDeps,
  tenantId: string,
  deliveryId: string,
): Promise<AttemptResult> {
  const claimed = await claimDelivery(deps.db, tenantId, deliveryId);
  if (!claimed) return DONE;
  const fail = async (error: string, outcome: AttemptOutcome | null = null) => {
    await recordOutcome(deps.db, tenantId, deliveryId, outcome, { state: "failed" }, error);
    return DONE;
  };
  if (claimed.deleted) return fail("endpoint deleted");
  if (!claimed.enabled) return fail("endpoint disabled");
  const event = PlatformEvent.safeParse(claimed.payload);
  if (!event.success || event.data.tenant_id !== tenantId) return fail("event no longer stored");
  if (!deps.dataKey) return fail("signing is not configured in this region");

  const startedAt = Date.now();
  const timestamp = Math.floor(startedAt / 1000);
  const base = { attempt: claimed.attempt, startedAt, signatureTimestamp: timestamp };
  const check = checkWebhookUrl(claimed.url, { allowPrivateTargets: deps.allowPrivateTargets });
  if (!check.ok) {
    const error = `url ${check.reason}`.slice(0, 200);
    return fail(error, { ...base, durationMs: 0, responseStatus: null, error });
  }
  const secrets = await openEndpointSecrets(deps.dataKey, claimed.endpointId, claimed.sealedSecrets);
  // The stored event keeps sensitive fields sealed (services/privacy/); the receiver gets them
  // opened, or null once the person's key has been destroyed.
  const opened = await revealSealed({ db: deps.db, tenantId, rootKey: deps.dataKey }, event.data);
  const request = await buildDeliveryRequest(
    { id: claimed.endpointId, url: check.url.href, secrets },
    opened,
    { timestamp },
  );
  const sent = await inRemoteTrace(
    deps.traced ? claimed.traceparent : null,
    "webhook delivery",
    {
      "nexus.webhook.endpoint_id": claimed.endpointId,
      "nexus.webhook.attempt": claimed.attempt,
      "nexus.event.type": event.data.event_type,
    },
    async (span) => {
      // The receiver may continue the trace (W3C trace context, as any HTTP client sends it).
      span?.inject(request.headers);
      const result = await send(deps.fetch ?? fetch, request, deps.timeoutMs);
      span?.outcome(result.responseStatus, result.responseStatus !== null && result.responseStatus < 300);
      return result;
    },
  );
  const outcome: AttemptOutcome = { ...base, durationMs: Date.now() - startedAt, ...sent };
  recordMetric({
    metric: "webhook_delivery",
    region: currentRegion(),
    name: "attempt",
    outcome: sent.responseStatus === null ? "no_response" : statusClass(sent.responseStatus),
    value: outcome.durationMs,
    status: sent.responseStatus ?? 0,
    tenantId,
  });
  if (sent.responseStatus !== null && sent.responseStatus >= 200 && sent.responseStatus < 300) {
    await recordOutcome(deps.db, tenantId, deliveryId, outcome, { state: "succeeded" });
    return DONE;
  }
  const delay = retryDelayMs(claimed.roundAttempt, deps.retryBaseMs);
  if (delay === null) return fail(outcome.error ?? `HTTP ${sent.responseStatus}`, outcome);
  const retryAt = Date.now() + delay;
  await recordOutcome(deps.db, tenantId, deliveryId, outcome, { state: "pending", retryAt });
  return { retryAt };
}

/** The response status, or a short reason of ours; the body is read by no one and discarded. */
async function send(
  fetcher: typeof fetch,
  request: Request,
  timeoutMs: number,
): Promise<{ responseStatus: number | null; error: string | null }> {
  try {
    const response = await fetcher(request, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    const redirect = response.status >= 300 && response.status < 400;
    return {
      responseStatus: response.status,
      error: response.ok ? null : redirect ? "redirect not followed" : `HTTP ${response.status}`,
    };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    const reason = timedOut ? `timed out after ${timeoutMs / 1000} s` : "connection failed";
    return { responseStatus: null, error: reason };
  }
}
