import { z } from "zod";
import { DEFAULT_DATABASE_TIMEOUT_MS } from "../../db/client";
import type { PaymentProvider } from "../../db/schema/finance-enums";
import { isRegionId, REGION_IDS, type RegionId } from "../../regions/registry";
import { type Jwk, publishedJwkSchema, type Rs256PrivateJwk, rs256PrivateJwkSchema } from "./auth/jwk";
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from "./auth/token-format";
import { EINVOICE_TRANSMITTER_NAMES, type EInvoiceTransmitterName } from "./finance/einvoice-transmitter";
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

  // Which e-invoice clearance finalize calls (workers/api/finance/einvoice-transmitter.ts); none by default.
  EINVOICE_TRANSMITTER: z.preprocess(emptyToUndefined, z.enum(EINVOICE_TRANSMITTER_NAMES).default("none")),
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
  /** Milliseconds one payment provider call may take. */
  paymentProviderTimeoutMs: number;
  /** How long a forward to the home region waits for its response to start (headers or a 101). */
  regionForwardTimeoutMs: number;
  /** /health's deadline for each dependency check. */
  healthCheckTimeoutMs: number;

  /** The e-invoice transmitter finalize calls (EINVOICE_TRANSMITTERS). */
  einvoiceTransmitter: EInvoiceTransmitterName;
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
    regionForwardTimeoutMs: c.REGION_FORWARD_TIMEOUT_MS,
    healthCheckTimeoutMs: c.HEALTH_CHECK_TIMEOUT_MS,

    einvoiceTransmitter: c.EINVOICE_TRANSMITTER,
  };
  cache.set(env, config);
  return config;
}
