import { sql } from "drizzle-orm";
import type { PaymentProvider } from "../../../../db/schema/finance-enums";
import { openSecret } from "../../auth/credentials/secret-box";
import type { Config } from "../../env";
import { requireDataKey } from "../../lib/data-key";
import type { ConnectorCredentials, ConnectorOptions, PaymentConnector } from "./connector";
import { FlutterwaveConnector } from "./flutterwave-connector";
import { PaystackConnector } from "./paystack-connector";
import { StripeConnector } from "./stripe-connector";

/** What of the Worker's configuration a connector needs. */
export type ConnectorConfig = Pick<
  Config,
  "dataEncryptionKey" | "paymentProviderUrls" | "paymentProviderTimeoutMs"
>;

/**
 * A payment_connections row's secrets, sealed, as `SEALED_CONNECTION_COLUMNS` selects them: the
 * previous webhook secret only while its grace period lasts (Postgres' clock decides).
 */
export interface SealedConnection {
  id: string;
  provider: PaymentProvider;
  secret_key_sealed: string | null;
  webhook_secret_sealed: string | null;
  previous_webhook_secret_sealed: string | null;
}

/** The select list for SealedConnection, from `payment_connections` (no alias). */
export const SEALED_CONNECTION_COLUMNS = sql`id, provider, secret_key_sealed, webhook_secret_sealed,
  case when previous_webhook_secret_expires_at > now() then previous_webhook_secret_sealed end
    as previous_webhook_secret_sealed`;

/** A connection's secrets open only on their own row (the row id is the AES-GCM additional data). */
export const sealedForConnection = (connectionId: string) => `payment_connection:${connectionId}`;

export const FEATURE = "Payment connections";

export function connectorOptions(config: ConnectorConfig, provider: PaymentProvider): ConnectorOptions {
  return { baseUrl: config.paymentProviderUrls[provider], timeoutMs: config.paymentProviderTimeoutMs };
}

export function connectorWith(
  provider: PaymentProvider,
  credentials: ConnectorCredentials,
  options: ConnectorOptions,
): PaymentConnector {
  switch (provider) {
    case "stripe":
      return new StripeConnector(credentials, options);
    case "paystack":
      return new PaystackConnector(credentials, options);
    case "flutterwave":
      return new FlutterwaveConnector(credentials, options);
  }
}

/**
 * The connector for one connection, its secrets opened: the current webhook secret first, then the
 * previous one while its grace period lasts (for Paystack, whose webhooks are signed with the
 * secret key, the previous one is the key it replaced).
 */
export async function connectorFor(
  config: ConnectorConfig,
  row: SealedConnection,
): Promise<PaymentConnector> {
  const key = requireDataKey(config.dataEncryptionKey, FEATURE);
  if (!row.secret_key_sealed)
    throw new TypeError(`payment connection ${row.id} has no secret key (deleted?)`);
  const open = (sealed: string) => openSecret(key, sealed, sealedForConnection(row.id));
  const sealedWebhookSecrets = [row.webhook_secret_sealed, row.previous_webhook_secret_sealed];
  const [secretKey, ...webhookSecrets] = await Promise.all([
    open(row.secret_key_sealed),
    ...sealedWebhookSecrets.filter((s): s is string => s !== null).map(open),
  ]);
  return connectorWith(
    row.provider,
    { secretKey: secretKey as string, webhookSecrets },
    connectorOptions(config, row.provider),
  );
}
