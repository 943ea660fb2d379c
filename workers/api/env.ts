import { z } from "zod";
import { DEFAULT_DATABASE_TIMEOUT_MS } from "../../db/client";
import type { PaymentProvider } from "../../db/schema/finance-enums";
import { isRegionId, REGION_IDS, type RegionId } from "../../regions/registry";
import { type Jwk, publishedJwkSchema, type Rs256PrivateJwk, rs256PrivateJwkSchema } from "./auth/jwk";
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from "./auth/token-format";
import { EINVOICE_TRANSMITTER_NAMES, type EInvoiceTransmitterName } from "./finance/einvoice-transmitter";
import { MAIL_LOCALES, type MailLocale } from "./mail/templates";
import {
  type AiBudgets,
  aiBudgetsSchema,
  type ModelDeployment,
  modelDeploymentsSchema,
} from "./services/ai/ai-config";
import { type EmbeddingProviderConfig, embeddingProvidersSchema } from "./services/search/embedding-config";
import type { SmsConfig } from "./sms/sms-sender";
import { DEFAULT_DNS_RESOLVER_URL } from "./sso/dns-txt";
import { ATTEMPT_TIMEOUT_MS } from "./webhooks/retry-schedule";

/** A forwarded request's wait for the home region's response to start; long enough for a slow one. */
export const DEFAULT_REGION_FORWARD_TIMEOUT_MS = 10_000;
/** /health's wait per dependency (the deadline operators and the platform spec expect: 3 s). */
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 3_000;

export type Bindings = Env;

// Public keys only: the var is not a secret and /.well-known/jwks.json serves it, so a private
// member here is a leaked key; refuse to start rather than publish it.
const jwkSet = z.object({ keys: z.array(publishedJwkSchema) });

const regionMap = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value).refine((map) => REGION_IDS.every((id) => id in map), {
    message: `must name every region (${REGION_IDS.join(", ")})`,
  });

const jsonString = <T extends z.ZodType>(schema: T) =>
  z.string().transform((raw, ctx): z.infer<T> => {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `invalid JSON config: ${String(error)}` });
      return z.NEVER;
    }
    // Each problem keeps its path inside the value (`JWKS.eu.keys.0: …`), so the log names it.
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    }
    return z.NEVER;
  });

const emptyToUndefined = (value: unknown) => (value === "" ? undefined : value);
const optionalUrl = z.preprocess(emptyToUndefined, z.url().optional());
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const configSchema = z.object({
  REGION: z.string().refine(isRegionId, "unknown region"),
  ENVIRONMENT: z.enum(["production", "staging", "development", "test"]),
  REGION_URLS: jsonString(regionMap(z.url())),
  JWT_AUDIENCE: z.string().min(1),
  JWKS: jsonString(regionMap(jwkSet)),
  CORS_ORIGINS: z.string().default(""),
  DATABASE_URL: z.string().startsWith("postgres"),
  DATABASE_HTTP_URL: optionalUrl,
  // One database call's deadline (a statement or batch, answer included); past it: 503 + Retry-After.
  DATABASE_TIMEOUT_MS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(100).max(30_000).default(DEFAULT_DATABASE_TIMEOUT_MS),
  ),
  BACKEND_URL: optionalUrl,
  UPSTASH_REDIS_REST_URL: optionalUrl,
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  // Lets several deployments (or test runs) share one Upstash database without seeing each other.
  UPSTASH_KEY_PREFIX: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,128}$/, "letters, digits, ':', '_' or '-', at most 128")
      .default("nexus:"),
  ),
  // A secret; absent in a region that only verifies tokens (its authorization server answers 503).
  // A secret: 32 random bytes, base64. Encrypts TOTP seeds and webhook signing secrets at rest;
  // MFA enrolment and webhook registration need it.
  DATA_ENCRYPTION_KEY: optionalString,
  JWT_SIGNING_KEY: z.preprocess(emptyToUndefined, jsonString(rs256PrivateJwkSchema).optional()),
  // Off only for measuring the limiter's own cost (bench/); refused in production below.
  RATE_LIMITS: z.preprocess(emptyToUndefined, z.enum(["on", "off"]).default("on")),
  // Lets webhooks reach receivers on this machine or network (local development, tests); refused
  // in production below, where the URL guard refuses private, loopback and link-local targets.
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z.preprocess(emptyToUndefined, z.enum(["true", "false"]).default("false")),
  // The first webhook retry's delay; later ones double it (1, 2, 4, 8, 16 s at 1000). Tests scale it down.
  WEBHOOK_RETRY_BASE_MS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(10).max(60_000).default(1000),
  ),
  // One delivery attempt's timeout: 30 s (SECURITY.md), the most allowed; tests shorten it.
  WEBHOOK_TIMEOUT_MS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(100).max(ATTEMPT_TIMEOUT_MS).default(ATTEMPT_TIMEOUT_MS),
  ),
  // "true" when the region's database is one session (PGlite in npm run dev): a second connection
  // waits for the request's own transaction, so work meant to run beside it runs in it instead.
  DATABASE_SINGLE_SESSION: z.preprocess(emptyToUndefined, z.enum(["true", "false"]).default("false")),
  // How long an isolate trusts a verified API key: the bound on revocation taking effect.
  API_KEY_CACHE_TTL_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(0).max(300).default(60),
  ),
  // The longest access-token lifetime (exp - iat) a verifier accepts: by default the longest a
  // client may be given. Above it, a revoked grant's tokens would outlive their listing on the
  // revocation list, so larger values are for benchmarks' long-lived test tokens only.
  ACCESS_TOKEN_MAX_LIFETIME_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(60).max(86_400).default(MAX_ACCESS_TOKEN_TTL_SECONDS),
  ),
  // Sockets per RealtimeShard before a tenant's next connection opens another shard.
  REALTIME_SHARD_CAPACITY: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(1).max(32_000).default(1000),
  ),
  // How often a TenantHub re-checks its sockets' memberships and tokens: the bound on a revoked
  // member or token keeping an open socket.
  REALTIME_RECHECK_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(1).max(300).default(15),
  ),
  // Where the payment providers' APIs are, as JSON {stripe?, paystack?, flutterwave?}; a provider
  // left out is called at its real API. Local development and tests point them at the stand-ins.
  PAYMENT_PROVIDER_URLS: z.preprocess(
    emptyToUndefined,
    jsonString(
      z.strictObject({
        stripe: z.url().optional(),
        paystack: z.url().optional(),
        flutterwave: z.url().optional(),
      }),
    ).optional(),
  ),
  // Domain verification's DNS-over-HTTPS JSON endpoint (issue 18); dev and tests use the stand-in.
  DNS_RESOLVER_URL: z.preprocess(emptyToUndefined, z.url().default(DEFAULT_DNS_RESOLVER_URL)),
  // One provider call's deadline (initiate, verify, refund); past it: 503 + Retry-After.
  PAYMENT_PROVIDER_TIMEOUT_MS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(100).max(30_000).default(8000),
  ),
  // A request forwarded to its home region: how long until the home region's response starts
  // (headers, or a WebSocket upgrade's 101); past it the client gets 503 + Retry-After. What
  // follows the headers (a streamed body, an open socket) is not bounded by it.
  REGION_FORWARD_TIMEOUT_MS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(100).max(60_000).default(DEFAULT_REGION_FORWARD_TIMEOUT_MS),
  ),
  // How long /health waits for each dependency before reporting it down.
  HEALTH_CHECK_TIMEOUT_MS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(100).max(30_000).default(DEFAULT_HEALTH_CHECK_TIMEOUT_MS),
  ),

  // The region's mail relay (regions/mail-relay): the Worker hands it mail over HTTPS. Unset: mail
  // is queued and waits. MAIL_RELAY_TOKEN (a secret) is its bearer token.
  MAIL_RELAY_URL: optionalUrl,
  MAIL_RELAY_TOKEN: optionalString,
  // The region's SAML-to-OIDC bridge (regions/saml-bridge): SAML connections are registered there
  // and signed in through it as OpenID issuers. SAML_BRIDGE_TOKEN (a secret) is its admin token.
  // Unset: SAML connections are refused (503), OIDC ones work as before.
  SAML_BRIDGE_URL: optionalUrl,
  SAML_BRIDGE_TOKEN: optionalString,
  // SMS sign-in codes (workers/api/sms): which wire format, the API base (the stand-in locally),
  // the account (Twilio Account SID / Africa's Talking username), the sender; SMS_API_KEY (a secret)
  // is the auth token / apiKey. `none` or unset: SMS codes are refused (503).
  // Per-connection allowances of enterprise sign-in (limits/enterprise-limits.ts), per minute.
  SSO_STARTS_PER_CONNECTION_PER_MINUTE: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(1).max(1_000_000).default(600),
  ),
  SCIM_REQUESTS_PER_CONNECTION_PER_MINUTE: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(1).max(1_000_000).default(1200),
  ),
  SMS_PROVIDER: z.preprocess(emptyToUndefined, z.enum(["none", "twilio", "africastalking"]).default("none")),
  SMS_PROVIDER_URL: optionalUrl,
  SMS_ACCOUNT: optionalString,
  SMS_FROM: z.preprocess(emptyToUndefined, z.string().max(20).default("Nexus")),
  SMS_API_KEY: optionalString,
  // Seconds before a failed message's first retry; each later one doubles it. Tests shorten it.
  MAIL_RETRY_BASE_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(1).max(3600).default(60),
  ),
  // The language of mail to a user who has not chosen one (en, fr).
  MAIL_DEFAULT_LOCALE: z.preprocess(emptyToUndefined, z.enum(MAIL_LOCALES).default("en")),

  // Which e-invoice clearance finalize calls (workers/api/finance/einvoice-transmitter.ts); none by default.
  EINVOICE_TRANSMITTER: z.preprocess(emptyToUndefined, z.enum(EINVOICE_TRANSMITTER_NAMES).default("none")),

  // The model deployments this region's agents may call, as JSON (services/ai/ai-config.ts): each
  // names where it processes data; the router only uses those this region's residency allows.
  MODEL_DEPLOYMENTS: z.preprocess(emptyToUndefined, jsonString(modelDeploymentsSchema).optional()),
  // Tokens per tenant per UTC day by tier, JSON {starter?, professional?, enterprise?}; defaults in ai-config.ts.
  AI_DAILY_TOKEN_BUDGETS: z.preprocess(emptyToUndefined, jsonString(aiBudgetsSchema).optional()),
  // Chat turns one user may have streaming at once.
  AI_MAX_CONCURRENT_STREAMS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(1).max(100).default(3),
  ),
  // How long a model call may take to start answering (headers), and at most between two pieces of
  // its stream: past it the step fails (503 before the headers, a failed turn after).
  AI_MODEL_TIMEOUT_MS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(100).max(120_000).default(30_000),
  ),
  // The OpenAI-wire embedding servers this region may call, as a JSON array (services/search/
  // embedding-config.ts); only those processing in a place the region's allowlist names are used.
  EMBEDDING_PROVIDERS: z.preprocess(emptyToUndefined, jsonString(embeddingProvidersSchema).optional()),
  EMBEDDING_API_KEY: optionalString,

  // Tracing (workers/api/observability/): the collector's OTLP/HTTP JSON traces endpoint
  // (…/v1/traces; a Lagos deployment names an in-region one). Unset: no spans are made at all.
  TRACES_ENDPOINT: optionalUrl,
  // Head sampling: the share of new traces exported in full (a forwarded request follows the
  // region it came from). Traces with an error are exported whatever the ratio.
  TRACES_SAMPLE_RATE: z.preprocess(emptyToUndefined, z.coerce.number().min(0).max(1).default(0.05)),
  // A secret: headers for the collector as JSON, e.g. {"authorization":"Bearer …"}.
  TRACES_HEADERS: z.preprocess(
    emptyToUndefined,
    jsonString(z.record(z.string().regex(/^[a-z0-9-]+$/i), z.string())).optional(),
  ),
});

export interface Config {
  region: RegionId;
  environment: "production" | "staging" | "development" | "test";
  /** workerd run locally (wrangler dev, tests): no Durable Object jurisdictions there. */
  localRuntime: boolean;
  regionUrls: Record<RegionId, string>;
  audience: string;
  /** Every region's published public keys (never private members: refused at parse). */
  jwks: Record<RegionId, { keys: Jwk[] }>;
  corsOrigins: string[];
  databaseUrl: string;
  databaseHttpUrl: string | undefined;
  /** Milliseconds one database call may take before it fails (503 + Retry-After). */
  databaseTimeoutMs: number;
  backendUrl: string | undefined;
  /** The global directory and caches (no personal data); undefined: off, Postgres answers. */
  upstash: { url: string; token: string; keyPrefix: string } | undefined;
  /** This region's private signing key (its kid is published in jwks[region]); issuing needs it. */
  signingKey: Rs256PrivateJwk | undefined;
  /** AES-256-GCM key (base64) for secrets at rest; never leaves the Worker. */
  dataEncryptionKey: string | undefined;
  /** Access tokens living longer than this (exp - iat) are refused, however validly signed. */
  accessTokenMaxLifetimeSeconds: number;
  /** Seconds an isolate may serve a verified API key from memory (0: always ask the database). */
  apiKeyCacheTtlSeconds: number;
  /** The edge rate limits (always on in production). */
  rateLimitsEnabled: boolean;
  realtime: { shardCapacity: number; recheckSeconds: number };
  /** Webhook URLs may name private, loopback and link-local targets, and use http (never in production). */
  webhookAllowPrivateTargets: boolean;
  /** Milliseconds before a failed delivery's first retry; each later one doubles it. */
  webhookRetryBaseMs: number;
  /** One attempt's timeout: ATTEMPT_TIMEOUT_MS (30 s) in deployments. */
  webhookTimeoutMs: number;
  /** The database is one session (PGlite locally): no second connection beside the request's. */
  databaseSingleSession: boolean;
  /** Payment provider API bases that replace the real ones (stand-ins in dev and tests). */
  paymentProviderUrls: Partial<Record<PaymentProvider, string>>;
  /** DNS-over-HTTPS JSON endpoint that domain verification asks for TXT records. */
  dnsResolverUrl: string;
  /** Milliseconds one payment provider call may take. */
  paymentProviderTimeoutMs: number;
  /** How long a forward to the home region waits for its response to start (headers or a 101). */
  regionForwardTimeoutMs: number;
  /** /health's deadline for each dependency check. */
  healthCheckTimeoutMs: number;
  /** Per-connection allowances of enterprise sign-in and SCIM (limits/enterprise-limits.ts). */
  limits: { ssoStartsPerConnectionPerMinute: number; scimRequestsPerConnectionPerMinute: number };
  /** The region's SMS provider (workers/api/sms/sms-sender.ts). */
  sms: SmsConfig;
  /** The region's SAML bridge (admin API base and token); undefined where none runs. */
  samlBridge: { url: string; token: string } | undefined;
  /** Outbound mail (workers/api/mail/): the regional relay, retry base, default language. */
  mail: {
    relayUrl: string | undefined;
    relayToken: string | undefined;
    retryBaseSeconds: number;
    defaultLocale: MailLocale;
  };

  /** The e-invoice transmitter finalize calls (EINVOICE_TRANSMITTERS). */
  einvoiceTransmitter: EInvoiceTransmitterName;

  /** AI agents: the model deployments configured here, budgets, stream limits. */
  ai: {
    deployments: readonly ModelDeployment[];
    dailyTokenBudgets: AiBudgets;
    maxConcurrentStreams: number;
    modelTimeoutMs: number;
  };
  /** Embedding servers as configured (the residency allowlist picks among them: embedding-config.ts). */
  embeddingProviders: EmbeddingProviderConfig[];
  /** Bearer token for the embedding servers that need one (a secret). */
  embeddingApiKey: string | undefined;
  /** Where spans go (undefined: tracing off), the head-sampling ratio, the collector's headers. */
  traces: { endpoint: string | undefined; sampleRate: number; headers: Record<string, string> };
}

// Bindings are fixed for the life of an isolate, so parse once per env object.
const cache = new WeakMap<object, Config>();

/** Parses the bindings; a misconfigured deployment fails loudly on its first request. */
export function loadConfig(env: Bindings): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid Worker configuration: ${issues}`);
  }
  const c = parsed.data;
  const signingKey = c.JWT_SIGNING_KEY as Rs256PrivateJwk | undefined;
  const ownKeys = (c.JWKS as Config["jwks"])[c.REGION as RegionId].keys;
  // A token signed with an unpublished key would be refused by every verifier: fail loudly here.
  if (signingKey && !ownKeys.some((k) => k.kid === signingKey.kid)) {
    throw new Error(
      `Invalid Worker configuration: JWT_SIGNING_KEY kid ${signingKey.kid} is not published in JWKS.${c.REGION}`,
    );
  }
  if (c.RATE_LIMITS === "off" && c.ENVIRONMENT === "production") {
    throw new Error("Invalid Worker configuration: RATE_LIMITS=off is refused in production");
  }
  if (c.WEBHOOK_ALLOW_PRIVATE_TARGETS === "true" && c.ENVIRONMENT === "production") {
    throw new Error(
      "Invalid Worker configuration: WEBHOOK_ALLOW_PRIVATE_TARGETS=true is refused in production",
    );
  }
  const config: Config = {
    region: c.REGION as RegionId,
    environment: c.ENVIRONMENT,
    localRuntime: c.ENVIRONMENT === "development" || c.ENVIRONMENT === "test",
    regionUrls: c.REGION_URLS as Record<RegionId, string>,
    audience: c.JWT_AUDIENCE,
    jwks: c.JWKS as Config["jwks"],
    corsOrigins: c.CORS_ORIGINS.split(",")
      .map((o) => o.trim())
      .filter(Boolean),
    databaseUrl: c.DATABASE_URL,
    databaseHttpUrl: c.DATABASE_HTTP_URL,
    databaseTimeoutMs: c.DATABASE_TIMEOUT_MS,
    backendUrl: c.BACKEND_URL,
    upstash:
      c.UPSTASH_REDIS_REST_URL && c.UPSTASH_REDIS_REST_TOKEN
        ? {
            url: c.UPSTASH_REDIS_REST_URL,
            token: c.UPSTASH_REDIS_REST_TOKEN,
            keyPrefix: c.UPSTASH_KEY_PREFIX,
          }
        : undefined,
    signingKey,
    dataEncryptionKey: c.DATA_ENCRYPTION_KEY,
    apiKeyCacheTtlSeconds: c.API_KEY_CACHE_TTL_SECONDS,
    accessTokenMaxLifetimeSeconds: c.ACCESS_TOKEN_MAX_LIFETIME_SECONDS,
    rateLimitsEnabled: c.RATE_LIMITS === "on",
    realtime: { shardCapacity: c.REALTIME_SHARD_CAPACITY, recheckSeconds: c.REALTIME_RECHECK_SECONDS },
    webhookAllowPrivateTargets: c.WEBHOOK_ALLOW_PRIVATE_TARGETS === "true",
    webhookRetryBaseMs: c.WEBHOOK_RETRY_BASE_MS,
    webhookTimeoutMs: c.WEBHOOK_TIMEOUT_MS,
    databaseSingleSession: c.DATABASE_SINGLE_SESSION === "true",
    paymentProviderUrls: (c.PAYMENT_PROVIDER_URLS ?? {}) as Config["paymentProviderUrls"],
    paymentProviderTimeoutMs: c.PAYMENT_PROVIDER_TIMEOUT_MS,
    dnsResolverUrl: c.DNS_RESOLVER_URL,
    regionForwardTimeoutMs: c.REGION_FORWARD_TIMEOUT_MS,
    healthCheckTimeoutMs: c.HEALTH_CHECK_TIMEOUT_MS,
    limits: {
      ssoStartsPerConnectionPerMinute: c.SSO_STARTS_PER_CONNECTION_PER_MINUTE,
      scimRequestsPerConnectionPerMinute: c.SCIM_REQUESTS_PER_CONNECTION_PER_MINUTE,
    },
    sms: {
      provider: c.SMS_PROVIDER,
      baseUrl: c.SMS_PROVIDER_URL,
      account: c.SMS_ACCOUNT,
      from: c.SMS_FROM,
      apiKey: c.SMS_API_KEY,
    },
    samlBridge:
      c.SAML_BRIDGE_URL && c.SAML_BRIDGE_TOKEN
        ? { url: c.SAML_BRIDGE_URL, token: c.SAML_BRIDGE_TOKEN }
        : undefined,
    mail: {
      relayUrl: c.MAIL_RELAY_URL,
      relayToken: c.MAIL_RELAY_TOKEN,
      retryBaseSeconds: c.MAIL_RETRY_BASE_SECONDS,
      defaultLocale: c.MAIL_DEFAULT_LOCALE,
    },

    einvoiceTransmitter: c.EINVOICE_TRANSMITTER,
    ai: {
      deployments: (c.MODEL_DEPLOYMENTS ?? []) as ModelDeployment[],
      dailyTokenBudgets: aiBudgetsSchema.parse(c.AI_DAILY_TOKEN_BUDGETS ?? {}),
      maxConcurrentStreams: c.AI_MAX_CONCURRENT_STREAMS,
      modelTimeoutMs: c.AI_MODEL_TIMEOUT_MS,
    },
    embeddingProviders: c.EMBEDDING_PROVIDERS ?? [],
    embeddingApiKey: c.EMBEDDING_API_KEY,
    traces: {
      endpoint: c.TRACES_ENDPOINT,
      sampleRate: c.TRACES_SAMPLE_RATE,
      headers: (c.TRACES_HEADERS ?? {}) as Record<string, string>,
    },
  };
  cache.set(env, config);
  return config;
}
