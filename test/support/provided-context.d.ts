// What global setups hand to Miniflare configs and tests (vitest `provide`/`inject`).
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** Worker tests: the gateway and database behind the Worker under test, and signing keys. */
    gatewayUrl: string;
    /** Worker tests: the webhook receiver (test/support/webhook-receiver.ts). */
    webhookReceiverUrl: string;
    /** Worker tests: the payment providers stand-in (regions/payment-providers), its root URL. */
    paymentProvidersUrl: string;
    databaseName: string;
    jwks: string;
    signingKeys: string;
    /**
     * Worker tests: the Upstash REST server bound to the Worker, a second one on the same Redis
     * that `POST {controlUrl}/upstash/stop|start` takes down and brings back, and this run's
     * key prefix (UPSTASH_KEY_PREFIX).
     */
    upstash: { url: string; switchableUrl: string; token: string; keyPrefix: string; controlUrl: string };
    /** End-to-end tests: the running two-region stack. */
    e2e: {
      eu: string;
      lagos: string;
      gateways: { eu: string; lagos: string };
      dataDir: string;
      /** What the stack printed at start-up. */
      output: string;
      /** What it has printed so far, the Workers' log lines included (`[eu] …`, `[lagos] …`). */
      outputFile: string;
    };
  }
}
