// What global setups hand to Miniflare configs and tests (vitest `provide`/`inject`).
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** Worker tests: the gateway and database behind the Worker under test, and signing keys. */
    gatewayUrl: string;
    databaseName: string;
    jwks: string;
    signingKeys: string;
    /** End-to-end tests: the running two-region stack. */
    e2e: {
      eu: string;
      lagos: string;
      gateways: { eu: string; lagos: string };
      dataDir: string;
      output: string;
    };
  }
}
