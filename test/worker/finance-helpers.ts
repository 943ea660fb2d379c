import { sql } from "drizzle-orm";
import type { PaymentProvider, PaymentStatus } from "../../db/schema/finance-enums";
import type {
  InitiateRequest,
  PaymentConnector,
  PaymentRef,
  VerifiedPayment,
  WebhookParseResult,
} from "../../workers/api/finance/connectors/connector";
import type { ServiceContext } from "../../workers/api/services/context";
import type { ConnectionChoice, ConnectorSource } from "../../workers/api/services/finance/connector-source";
import { asTenant, db } from "./oauth-helpers";
import { limitedTenant, only } from "./rate-limit-helpers";

/** A tenant of its own per test, so counts of rows and events are the test's alone. */
export const financeTenant = () => limitedTenant(only({}), "enterprise");

/** A connection row as the connections service would write it (the secrets are never read here). */
export async function insertConnection(tenantId: string, provider: PaymentProvider): Promise<string> {
  const id = crypto.randomUUID();
  await asTenant(
    tenantId,
    sql`insert into payment_connections (id, tenant_id, provider, secret_key_sealed, secret_key_last4)
        values (${id}, ${tenantId}, ${provider}, 'sealed-by-test', 'test')`,
  );
  return id;
}

/** An open invoice (finalized, numbered) for `total` in `currency`. */
export async function insertOpenInvoice(tenantId: string, currency: string, total: string): Promise<string> {
  const id = crypto.randomUUID();
  await asTenant(
    tenantId,
    sql`insert into invoices (id, tenant_id, status, series, sequence_number, number, currency, customer, due_date,
          subtotal, total, amount_due)
        values (${id}, ${tenantId}, 'open', 'INV', 1, 'INV-000001', ${currency}, '{"name":"Ada"}'::jsonb, '2026-12-31',
          ${total}::numeric, ${total}::numeric, ${total}::numeric)`,
  );
  return id;
}

export function serviceCtx(tenantId: string, userId = crypto.randomUUID()): ServiceContext {
  return {
    db: db(),
    actor: { userId, credential: "access_token", tenantId, role: "Owner", scopes: [] },
    region: "eu",
    requestId: crypto.randomUUID(),
  };
}

/**
 * A connector of the test's own: what the provider "says" is set by the test, every call is
 * counted. The real connectors and the provider stand-in are in the webhook tests.
 */
export class FakeConnector implements PaymentConnector {
  initiated: InitiateRequest[] = [];
  verifyCalls = 0;
  refunds: { ref: PaymentRef; amount: bigint }[] = [];
  failInitiate: Error | undefined;
  /** Verify throws this (the provider down, or never told of the reference). */
  failVerify: Error | undefined;
  truth: Partial<VerifiedPayment> & { status: PaymentStatus } = { status: "requires_action" };
  webhook: WebhookParseResult = { verified: false, reason: "bad_signature" };
  /** Reference → the amount and currency given at initiate (what verify answers by default). */
  private readonly made = new Map<string, { amountMinor: bigint; currency: string }>();

  constructor(readonly provider: PaymentProvider) {}

  async initiate(request: InitiateRequest) {
    this.initiated.push(request);
    if (this.failInitiate) throw this.failInitiate;
    const providerReference =
      this.provider === "stripe" ? `cs_test_${request.paymentId.slice(0, 8)}` : request.reference;
    this.made.set(providerReference, { amountMinor: request.amountMinor, currency: request.currency });
    return { providerReference, checkoutUrl: `https://checkout.example/${providerReference}` };
  }

  async verify(payment: PaymentRef): Promise<VerifiedPayment> {
    this.verifyCalls++;
    if (this.failVerify) throw this.failVerify;
    // A moment at the provider, so concurrent appliers overlap.
    await new Promise((r) => setTimeout(r, 10));
    const made = this.made.get(payment.providerReference);
    return {
      providerReference: payment.providerReference,
      amountMinor: made?.amountMinor ?? 0n,
      currency: made?.currency ?? "XXX",
      ...this.truth,
    };
  }

  async parseWebhook(): Promise<WebhookParseResult> {
    return this.webhook;
  }

  async refund(ref: PaymentRef, amount: bigint) {
    this.refunds.push({ ref, amount });
    return { providerRefundId: `re_${this.refunds.length}`, status: "succeeded" as const };
  }
}

/** A connector source over fixed connections (the first ones are the "region defaults"). */
export function fixedSource(choices: { id: string; connector: FakeConnector }[]): ConnectorSource {
  const all: ConnectionChoice[] = choices.map((c) => ({
    id: c.id,
    provider: c.connector.provider,
    connector: c.connector,
  }));
  return {
    forPayment: async (_currency, connectionId) =>
      connectionId ? all.filter((c) => c.id === connectionId) : all,
    forConnection: async (id) => all.find((c) => c.id === id),
  };
}

export async function paymentRow(tenantId: string, id: string) {
  const [rows = []] = await asTenant(tenantId, sql`select * from payments where id = ${id}`);
  return rows[0] as Record<string, unknown> | undefined;
}

/** The tenant's outbox events by type, oldest first. */
export async function outboxOf(tenantId: string) {
  const [rows = []] = await asTenant(
    tenantId,
    sql`select event_type, payload from outbox_events where tenant_id = ${tenantId} order by created_at, id`,
  );
  return rows as { event_type: string; payload: { data: Record<string, unknown> } }[];
}

export async function countRows(tenantId: string, table: "payments" | "provider_events" | "outbox_events") {
  const [rows = []] = await asTenant(
    tenantId,
    sql`select count(*)::int as n from ${sql.raw(table)} where tenant_id = ${tenantId}`,
  );
  return (rows[0] as { n: number }).n;
}
