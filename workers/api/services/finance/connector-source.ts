import type { PaymentProvider } from "../../../../db/schema/finance-enums";
import type { PaymentConnector } from "../../finance/connectors/connector";

/** A tenant's connection, ready to call its provider. */
export interface ConnectionChoice {
  /** The payment_connections row id (UUID). */
  id: string;
  provider: PaymentProvider;
  connector: PaymentConnector;
}

/**
 * Where the payment services get their connectors: one tenant's connections, secrets opened,
 * built for the provider (connections service, finance/connectors/connector-for.ts). An interface
 * so the state machine can be tested with a connector of the test's own.
 */
export interface ConnectorSource {
  /**
   * The connections to try for a new payment, in order: the named one only, or the region's
   * defaults for the currency (NGN → Paystack then Flutterwave, EUR → Stripe) among the tenant's
   * enabled connections. A named connection that does not exist is a 400 naming `connection_id`.
   */
  forPayment(currency: string, connectionId?: string): Promise<ConnectionChoice[]>;
  /** The connection of an existing payment or webhook; undefined once deleted. */
  forConnection(connectionId: string): Promise<ConnectionChoice | undefined>;
}

/** A source that already holds one connection open (the webhook route's), asking `source` for the rest. */
export function withConnection(source: ConnectorSource, known: ConnectionChoice): ConnectorSource {
  return {
    forPayment: (currency, connectionId) => source.forPayment(currency, connectionId),
    forConnection: (connectionId) =>
      connectionId === known.id ? Promise.resolve(known) : source.forConnection(connectionId),
  };
}
