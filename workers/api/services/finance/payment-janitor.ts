import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf, tenantRows } from "../../../../db/rows";
import type { RegionId } from "../../../../regions/registry";
import { UNISSUED_ATTEMPT_GRACE_MS } from "../../finance/payment-states";
import { logError } from "../../lib/log-error";
import type { ConnectorSource } from "./connector-source";
import { transitionPayment } from "./payment-transitions";
import { loadStoredPayment, reconcilePayment } from "./payment-verification";
import { applyProviderEvent } from "./webhook-intake";

/** Stored events younger than this are their request's own to apply (it answered 200 moments ago). */
export const EVENT_REAPPLY_MIN_AGE_SECONDS = 60;
const TENANTS_PER_RUN = 50;
const PAYMENTS_PER_TENANT = 50;
const EVENTS_PER_TENANT = 50;
/** How long after its checkout closed an attempt the provider cannot tell us about is given up. */
const GIVE_UP_AFTER_EXPIRY_MS = 24 * 3600_000;

export interface JanitorDeps {
  db: Database;
  region: RegionId;
  /** One tenant's connectors. */
  connectorsFor: (tenantId: string) => ConnectorSource;
  now?: Date;
  /** Only these tenants (a test's own, beside other tests' tenants in the same database). */
  onlyTenants?: readonly string[];
}

export interface JanitorResult {
  tenants: number;
  verified: number;
  moved: number;
  eventsApplied: number;
  errors: number;
}

/**
 * Kill Bill's janitor, on the scheduled handler: for each tenant with in-flight payments due for
 * a look (`next_verify_at` passed) or verified webhooks nobody applied (a Worker that died after
 * its 200), asks the provider again. This is how a Paystack payment that failed or was abandoned
 * ends — Paystack sends webhooks for successes only — and how an unpaid checkout becomes
 * `expired` once it has closed. Each look backs off (1, 5, 15, 60 minutes, then hourly).
 */
export async function runPaymentJanitor(deps: JanitorDeps): Promise<JanitorResult> {
  const result: JanitorResult = { tenants: 0, verified: 0, moved: 0, eventsApplied: 0, errors: 0 };
  const tenants = deps.onlyTenants
    ? deps.onlyTenants.map((tenant) => ({ tenant }))
    : await rowsOf<{ tenant: string }>(
        deps.db,
        sql`select finance_due_tenants(${EVENT_REAPPLY_MIN_AGE_SECONDS}::int, ${TENANTS_PER_RUN}::int) as tenant`,
      );
  const correlationId = `janitor:${crypto.randomUUID()}`;
  for (const { tenant: tenantId } of tenants) {
    result.tenants++;
    const connectors = deps.connectorsFor(tenantId);
    const [due = [], stuck = []] = await tenantRows(deps.db, tenantId, [
      sql`select id from payments
          where tenant_id = ${tenantId} and status in ('created', 'requires_action', 'processing')
            and next_verify_at <= now()
          order by next_verify_at limit ${PAYMENTS_PER_TENANT}`,
      sql`select id from provider_events
          where tenant_id = ${tenantId} and state = 'received'
            and received_at <= now() - make_interval(secs => ${EVENT_REAPPLY_MIN_AGE_SECONDS}::int)
          order by received_at limit ${EVENTS_PER_TENANT}`,
    ]);
    for (const { id } of stuck as { id: string }[]) {
      const outcome = await applyProviderEvent(
        { db: deps.db, region: deps.region, connectors, correlationId },
        tenantId,
        id,
      ).catch((error: unknown) => {
        logError("janitor: applying a provider event failed", correlationId, error);
        return { kind: "error" as const };
      });
      if (outcome.kind === "error") result.errors++;
      else result.eventsApplied++;
    }
    for (const { id } of due as { id: string }[]) {
      const payment = await loadStoredPayment(deps.db, tenantId, id);
      if (!payment) continue;
      try {
        const choice = await connectors.forConnection(payment.connectionId);
        if (!choice) throw new Error("the payment's connection was deleted");
        result.verified++;
        const outcome = await reconcilePayment(
          {
            db: deps.db,
            tenantId,
            region: deps.region,
            connector: choice.connector,
            origin: { actorId: null, correlationId },
            schedule: true,
            ...(deps.now ? { now: deps.now } : {}),
          },
          payment,
        );
        if (outcome.kind === "moved") result.moved++;
      } catch (error) {
        result.errors++;
        logError("janitor: verifying a payment failed", correlationId, error);
        const now = deps.now ?? new Date();
        if (
          payment.status === "created" &&
          payment.createdAt.getTime() + UNISSUED_ATTEMPT_GRACE_MS <= now.getTime()
        ) {
          const moved = await transitionPayment(
            { db: deps.db, tenantId, region: deps.region, paymentId: id },
            {
              to: "canceled",
              failureCode: "checkout_never_issued",
              failureMessage:
                `no checkout link was issued; the provider cannot confirm it: ${String(error)}`.slice(0, 500),
            },
            { actorId: null, correlationId },
          ).catch(() => undefined);
          if (moved) result.moved++;
          continue;
        }
        // Nobody can pay a checkout that closed a day ago: when the provider still cannot say
        // (down, or it never heard of the attempt), the janitor gives up on it.
        if (payment.expiresAt && payment.expiresAt.getTime() + GIVE_UP_AFTER_EXPIRY_MS <= now.getTime()) {
          const moved = await transitionPayment(
            { db: deps.db, tenantId, region: deps.region, paymentId: id },
            { to: "expired", failureCode: "unverifiable", failureMessage: String(error).slice(0, 500) },
            { actorId: null, correlationId },
          ).catch(() => undefined);
          if (moved) result.moved++;
        } else {
          await postpone(deps.db, tenantId, id);
        }
      }
    }
  }
  return result;
}

/** A provider that could not answer: ask again in 5 minutes rather than every minute. */
async function postpone(db: Database, tenantId: string, paymentId: string): Promise<void> {
  await tenantRows(db, tenantId, [
    sql`update payments set next_verify_at = now() + interval '5 minutes', verify_attempts = verify_attempts + 1
        where id = ${paymentId} and tenant_id = ${tenantId} and status in ('created', 'requires_action', 'processing')`,
  ]).catch(() => {});
}
