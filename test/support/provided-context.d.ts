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
    /** Worker tests: an origin that accepts connections and never answers (test/support/silent-server.ts). */
    silentUrl: string;
    /** Worker tests: the model stand-in (regions/model-standin), its root URL. */
    modelStandInUrl: string;
    /** Worker tests: the mail relay the Worker sends to and the catcher behind it (JSON: /api/messages). */
    mail: { catcherUrl: string; relayUrl: string; relayToken: string };
    /** Worker tests: the local OpenID provider (regions/oidc-idp), client `nexus-test`. */
    oidcIdpIssuer: string;
    /** Worker tests: the SAML bridge (admin token) and the local SAML IdP (regions/saml-idp), its settings. */
    saml: {
      bridgeUrl: string;
      bridgeToken: string;
      idpUrl: string;
      idpEntityId: string;
      idpSsoUrl: string;
      idpCertificate: string;
    };
    /** Worker tests: the SMS providers stand-in (regions/sms-providers) and the Twilio account the Worker uses. */
    sms: { url: string; twilio: { accountSid: string; authToken: string } };
    /** Worker tests: the DNS-over-HTTPS stand-in (regions/dns-resolver), its root URL. */
    dnsResolverUrl: string;
    /** Worker tests: a second gateway on PGlite with pgvector, migrated and seeded (search's vector tests). */
    pgliteGatewayUrl: string;
    /** Worker tests: the OpenAI-wire embedding stand-in (regions/openai-embeddings), sites /eu and /lagos. */
    embeddingsUrl: string;
    /** Worker tests: the trace collector stand-in (regions/otel-collector), its root URL. */
    collectorUrl: string;
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
