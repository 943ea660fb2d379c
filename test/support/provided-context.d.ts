// What the worker tests' global setup hands to the Miniflare config and the tests (vitest `provide`).
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    gatewayUrl: string;
    databaseName: string;
    jwks: string;
    signingKeys: string;
  }
}
