import { sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import type { PaymentProvider } from "../../../../db/schema/finance-enums";
import { paymentProvidersFor } from "../../../../regions/registry";
import { parseConnectionId } from "../../finance/connection-id";
import type { PaymentConnector } from "../../finance/connectors/connector";
import {
  type ConnectorConfig,
  connectorFor,
  SEALED_CONNECTION_COLUMNS,
} from "../../finance/connectors/connector-for";
import { providerName } from "../../finance/provider-keys";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import type { StoredConnection } from "./payment-connections";

/** The connection a payment goes through, with its connector ready to call. */
export interface PaymentRoute {
  /** The payment_connections row id (payments.connection_id). */
  connectionId: string;
  provider: PaymentProvider;
  livemode: boolean;
  connector: PaymentConnector;
}

type Candidate = StoredConnection & { created_at: string };

/**
 * Which of the tenant's connections takes a payment in `currency`. A named connection
 * (`connection_id`, the public `pcn_…` id) must be the tenant's, live and enabled. Otherwise the
 * registry's order for the currency (regions/registry.ts paymentProvidersFor: NGN → Paystack, then
 * Flutterwave; EUR and the rest → Stripe), reordered by the tenant's own preference where its
 * industry preset recorded one (`settings.payment_providers`), picks the provider, and the
 * newest enabled connection of that provider is used. None: a 400 naming the currency.
 */
export async function connectionForPayment(
  ctx: ServiceContext,
  config: ConnectorConfig,
  currency: string,
  connectionId?: string,
): Promise<PaymentRoute> {
  const tenantId = ctx.actor.tenantId;
  if (connectionId !== undefined) {
    const parsed = parseConnectionId(connectionId);
    const noSuch = ApiError.validation([{ field: "connection_id", message: "No such payment connection" }]);
    if (!parsed || parsed.region !== ctx.region) throw noSuch;
    const [rows = []] = await tenantRows(ctx.db, tenantId, [
      sql`select ${SEALED_CONNECTION_COLUMNS}, enabled, livemode, created_at from payment_connections
          where id = ${parsed.uuid} and tenant_id = ${tenantId} and not is_deleted`,
    ]);
    const named = rows[0] as Candidate | undefined;
    if (!named) throw noSuch;
    if (!named.enabled) {
      throw ApiError.validation([{ field: "connection_id", message: "The payment connection is disabled" }]);
    }
    return routeOf(config, named);
  }

  const providers = paymentProvidersFor(currency);
  const [rows = [], tenantRow = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${SEALED_CONNECTION_COLUMNS}, enabled, livemode, created_at from payment_connections
        where tenant_id = ${tenantId} and not is_deleted and enabled
          and provider in (${sql.join(
            providers.map((p) => sql`${p}`),
            sql`, `,
          )})
        order by created_at desc, id desc`,
    sql`select settings->'payment_providers' as preferred from tenants where id = ${tenantId}`,
  ]);
  const preferred = (tenantRow[0] as { preferred: unknown } | undefined)?.preferred;
  const order = preferredOrder(providers, Array.isArray(preferred) ? preferred : []);
  const candidates = rows as Candidate[];
  for (const provider of order) {
    const newest = candidates.find((c) => c.provider === provider);
    if (newest) return routeOf(config, newest);
  }
  const names = providers.map(providerName);
  throw ApiError.validation([
    {
      field: "currency",
      message:
        `No enabled payment connection takes ${currency} payments: connect ${names.join(" or ")} ` +
        "(POST /api/v1/finance/connections) or name a connection in connection_id",
    },
  ]);
}

/** The registry's providers for the currency, those the tenant prefers first (in its order). */
function preferredOrder(
  providers: readonly PaymentProvider[],
  preferred: readonly unknown[],
): PaymentProvider[] {
  const first = preferred.filter((p): p is PaymentProvider => providers.includes(p as PaymentProvider));
  return [...new Set([...first, ...providers])];
}

async function routeOf(config: ConnectorConfig, row: Candidate): Promise<PaymentRoute> {
  return {
    connectionId: row.id,
    provider: row.provider,
    livemode: row.livemode,
    connector: await connectorFor(config, row),
  };
}
