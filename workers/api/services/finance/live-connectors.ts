import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import { paymentProvidersFor } from "../../../../regions/registry";
import {
  type ConnectorConfig,
  connectorFor,
  SEALED_CONNECTION_COLUMNS,
} from "../../finance/connectors/connector-for";
import type { ServiceContext } from "../context";
import { connectionForPayment } from "./connection-for-payment";
import type { ConnectionChoice, ConnectorSource } from "./connector-source";
import { loadConnection, type StoredConnection } from "./payment-connections";

/**
 * The tenant's real connections, secrets opened by connectorFor (connections service). For a new
 * payment: the named connection only, or the one connectionForPayment picks (the registry's order,
 * the tenant's preference) followed by the newest enabled connection of each further provider the
 * registry lists for the currency — the fallbacks initiate tries after a provider failed before
 * issuing a link.
 */
export function liveConnectorSource(deps: {
  db: Database;
  config: ConnectorConfig;
  tenantId: string;
  /** The request's context, for choosing a new payment's connection (absent: webhooks, janitor). */
  ctx?: ServiceContext | undefined;
}): ConnectorSource {
  const { db, config, tenantId } = deps;
  return {
    async forPayment(currency, connectionId) {
      if (!deps.ctx) throw new Error("choosing a payment's connection needs the request's context");
      const first = await connectionForPayment(deps.ctx, config, currency, connectionId);
      const chosen: ConnectionChoice = {
        id: first.connectionId,
        provider: first.provider,
        connector: first.connector,
      };
      if (connectionId !== undefined) return [chosen];
      const others = paymentProvidersFor(currency).filter((p) => p !== first.provider);
      if (others.length === 0) return [chosen];
      const [rows = []] = await tenantRows(deps.ctx.db, tenantId, [
        sql`select distinct on (provider) ${SEALED_CONNECTION_COLUMNS}, enabled, livemode
            from payment_connections
            where tenant_id = ${tenantId} and not is_deleted and enabled
              and provider in (${sql.join(
                others.map((p) => sql`${p}`),
                sql`, `,
              )})
            order by provider, created_at desc, id desc`,
      ]);
      const byProvider = new Map((rows as StoredConnection[]).map((r) => [r.provider, r]));
      const fallbacks = await Promise.all(
        others.flatMap((p) => {
          const row = byProvider.get(p);
          return row
            ? [connectorFor(config, row).then((connector) => ({ id: row.id, provider: p, connector }))]
            : [];
        }),
      );
      return [chosen, ...fallbacks];
    },
    async forConnection(connectionId) {
      // A disabled connection takes no new payments, but still settles (webhooks, janitor, refunds) those it took.
      const row = await loadConnection(db, tenantId, connectionId);
      if (!row?.secret_key_sealed) return undefined;
      return { id: row.id, provider: row.provider, connector: await connectorFor(config, row) };
    },
  };
}
