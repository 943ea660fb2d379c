import type { Database } from "../../../../db/client";
import type { Config } from "../../env";
import { ApiError } from "../../lib/errors";
import type { ConnectorSource } from "./connector-source";

/** The tenant's real connections (placeholder until the connections service is merged). */
export function liveConnectorSource(_deps: {
  db: Database;
  config: Config;
  tenantId: string;
}): ConnectorSource {
  const unavailable = () => Promise.reject(ApiError.unavailable("Payment connectors are not available"));
  return { forPayment: unavailable, forConnection: unavailable };
}
