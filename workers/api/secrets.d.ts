// Secrets are not in wrangler.toml, so `wrangler types` cannot see them; declared here.
interface Env {
  JWT_SIGNING_KEY?: string;
  DATA_ENCRYPTION_KEY?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  MAIL_RELAY_TOKEN?: string;
  SAML_BRIDGE_TOKEN?: string;
  SMS_API_KEY?: string;
  EMBEDDING_API_KEY?: string;
  // A var set per deployment (npm run dev and tests pass it), absent where no embedder runs.
  EMBEDDING_PROVIDERS?: string;
  // Tracing (README "Observability"): vars a deployment sets; TRACES_HEADERS is a secret.
  TRACES_ENDPOINT?: string;
  TRACES_SAMPLE_RATE?: string;
  TRACES_HEADERS?: string;
}
