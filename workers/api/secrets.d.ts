// Secrets are not in wrangler.toml, so `wrangler types` cannot see them; declared here.
interface Env {
  JWT_SIGNING_KEY?: string;
  DATA_ENCRYPTION_KEY?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
}
