import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { JSONWebKeySet } from "jose";
import { appUrl, dropDatabase, ownerUrl, recreateDatabase, upstreamUrl } from "../../test/support/postgres";
import { type BenchCredentials, createCredentials } from "./auth";
import { buildWorker } from "./build";
import type { Cleanup } from "./cleanup";
import { BENCH_TENANT, migrateAndSeed } from "./fixture";
import { type RunningGateway, startGatewayProcess } from "./gateway";
import type { NodeChild } from "./node-child";
import { startPeerProcess } from "./peer";
import { killProcess } from "./processes";
import { progress } from "./progress";
import { freePort, resolveWorkerd, startWorkerd, waitForHealth } from "./workerd";
import { renderWorkerdConfig } from "./workerd-config";

const HOST = "127.0.0.1";
/** Nothing listens on the discard port: a mistaken residency forward fails fast instead of hanging. */
const LAGOS_URL = "http://127.0.0.1:9";
const AUDIENCE = "nexus-api";
// Same values as wrangler.toml; the dry-run bundle does not carry them, so the config restates them.
const COMPATIBILITY_DATE = "2026-11-01";
const COMPATIBILITY_FLAGS = ["nodejs_compat"];
const HEALTH_TIMEOUT_MS = 30_000;
/** The peer: a pg Pool of 20. */
const PEER_POOL_SIZE = 20;

export interface RunningWorker {
  url: string;
  pid: number;
  /** `POST` here runs the cron handler once (only with `scheduledTriggerPort`). */
  scheduledUrl?: string;
  /** SIGKILL: the process dies with whatever it was doing, as a crashed host would take it. */
  kill(): Promise<void>;
}

export interface WorkerOptions {
  /** "test" enables the Nexus-Test-Fault header (test/crash/); the bench runs "development". */
  environment?: "development" | "test";
  scheduledTriggerPort?: number;
  /** DATABASE_TIMEOUT_MS (unset: the Worker's default). */
  databaseTimeoutMs?: number;
  /** workerd's DevTools inspector on 127.0.0.1:<port> (bench --profile). */
  inspectorPort?: number;
  /** PAYMENT_PROVIDER_URLS: the payment provider stand-in (bench --only finance). */
  paymentProviderUrls?: Record<string, string>;
  /** Extra vars (bench --only ai: MODEL_DEPLOYMENTS, the AI limits). */
  vars?: Record<string, string>;
}

export interface BenchStack {
  /** The eu URL every worker of the run answers to (the first started must listen there). */
  workerUrl: string;
  port: number;
  credentials: BenchCredentials;
  gateway: Pick<RunningGateway, "url" | "pid" | "signal">;
  workerd: ReturnType<typeof resolveWorkerd>;
  work: string;
  /**
   * A workerd process with the bundle; each name has storage of its own, kept across restarts
   * (start the same name again after a kill and its Durable Objects find their state).
   */
  startWorker(
    name: string,
    listenPort: number,
    rateLimits: "on" | "off",
    options?: WorkerOptions,
  ): Promise<RunningWorker>;
  /** The peer (bench/peer/): Fastify + pg Pool(20) + jose over the same database, verifying the same tokens. */
  startPeer(options?: { nodeArgs?: readonly string[] }): Promise<NodeChild>;
}

/**
 * What every benchmark runs on: the Worker built as deployed (wrangler deploy --dry-run), a fresh
 * database migrated and seeded through a real SQL gateway over the real Postgres, throwaway keys.
 * Each piece registers its teardown with `cleanup` as soon as it exists.
 */
export async function startBenchStack(options: {
  root: string;
  database: string;
  poolSize: number;
  keep: boolean;
  /** Node flags for the gateway's process (bench --profile: --cpu-prof). */
  gatewayNodeArgs?: readonly string[];
  /** How long the run's tokens must stay valid. */
  tokenTtlSeconds: number;
  cleanup: Cleanup;
  /** The gateway exports spans of traced requests here (bench --only tracing, the trace tests). */
  gatewayTracesEndpoint?: string;
}): Promise<BenchStack> {
  const { cleanup } = options;
  const work = mkdtempSync(join(os.tmpdir(), "nexus-bench-"));
  cleanup.add(options.keep ? `nothing in ${work} (--keep)` : `temporary folder ${work}`, () => {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  });
  const bundleDir = join(work, "bundle");
  const storageDir = join(work, "do-storage");
  mkdirSync(storageDir, { recursive: true });

  progress("building the Worker: wrangler deploy --dry-run --env local-eu");
  const bundle = await buildWorker({ root: options.root, env: "local-eu", outdir: bundleDir });
  progress(
    `bundle: ${bundle.modules.map((m) => m.name).join(", ")} (${(bundle.bytes / 1024).toFixed(0)} KiB)`,
  );
  const workerd = resolveWorkerd();
  progress(`workerd: ${workerd.version} (${workerd.path})`);

  progress(`database: recreating ${options.database}`);
  await recreateDatabase(options.database);
  // --keep leaves the database too, to look at what was measured (EXPLAIN, pg_stat_*).
  cleanup.add(
    options.keep ? `nothing: database ${options.database} (--keep)` : `database ${options.database}`,
    () => (options.keep ? undefined : dropDatabase(options.database)),
  );

  progress(`SQL gateway: starting on ${upstreamUrl()} (pool ${options.poolSize})`);
  const gateway = await startGatewayProcess({
    upstream: upstreamUrl(),
    poolSize: options.poolSize,
    logFile: join(work, "gateway.log"),
    ...(options.gatewayTracesEndpoint ? { tracesEndpoint: options.gatewayTracesEndpoint } : {}),
    ...(options.gatewayNodeArgs ? { nodeArgs: options.gatewayNodeArgs } : {}),
  });
  cleanup.add(`SQL gateway (pid ${gateway.pid})`, gateway.stop);
  progress(`SQL gateway: ${gateway.url}`);

  progress("database: migrating and seeding through the gateway");
  await migrateAndSeed(options.database, gateway.url);

  const port = await freePort(HOST);
  const workerUrl = `http://${HOST}:${port}`;
  const credentials = await createCredentials({
    issuer: workerUrl,
    audience: AUDIENCE,
    tenantId: BENCH_TENANT.tenantId,
    userId: BENCH_TENANT.ownerId,
    ttlSeconds: options.tokenTtlSeconds,
  });

  // One key for every instance of this run, so any of them signs for endpoints another registered.
  const dataEncryptionKey = randomBytes(32).toString("base64");
  const startWorker = async (
    name: string,
    listenPort: number,
    rateLimits: "on" | "off",
    workerOptions: WorkerOptions = {},
  ): Promise<RunningWorker> => {
    const url = `http://${HOST}:${listenPort}`;
    const triggerPort = workerOptions.scheduledTriggerPort;
    const storage = join(storageDir, name);
    mkdirSync(storage, { recursive: true });
    const configFile = join(bundleDir, `workerd-${name}.capnp`);
    writeFileSync(
      configFile,
      renderWorkerdConfig({
        listen: { host: HOST, port: listenPort },
        modules: bundle.modules,
        compatibilityDate: COMPATIBILITY_DATE,
        compatibilityFlags: COMPATIBILITY_FLAGS,
        // Every var of [env.local-eu.vars], pointed at this run's processes.
        textBindings: {
          REGION: "eu",
          ENVIRONMENT: workerOptions.environment ?? "development",
          REGION_URLS: JSON.stringify({ eu: workerUrl, lagos: LAGOS_URL }),
          JWT_AUDIENCE: AUDIENCE,
          JWKS: credentials.jwks,
          CORS_ORIGINS: "",
          DATABASE_URL: appUrl(options.database),
          DATABASE_HTTP_URL: `${gateway.url}/sql`,
          BACKEND_URL: gateway.url,
          UPSTASH_REDIS_REST_URL: "",
          RATE_LIMITS: rateLimits,
          // The run's one token lives as long as the run, which may be longer than any client's.
          ACCESS_TOKEN_MAX_LIFETIME_SECONDS: String(Math.max(3600, options.tokenTtlSeconds)),
          // Webhook endpoints (bench --only webhooks): secrets sealed under a key of this run, and
          // the receiver in the bench process on 127.0.0.1.
          DATA_ENCRYPTION_KEY: dataEncryptionKey,
          WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
          ...(workerOptions.paymentProviderUrls === undefined
            ? {}
            : { PAYMENT_PROVIDER_URLS: JSON.stringify(workerOptions.paymentProviderUrls) }),
          ...(workerOptions.databaseTimeoutMs === undefined
            ? {}
            : { DATABASE_TIMEOUT_MS: String(workerOptions.databaseTimeoutMs) }),
          ...workerOptions.vars,
        },
        durableObjects: [
          { binding: "RATE_LIMITER", className: "RateLimiter" },
          { binding: "ACTIVATION_RUN", className: "ActivationRun" },
          { binding: "TENANT_HUB", className: "TenantHub" },
          { binding: "REALTIME_SHARD", className: "RealtimeShard" },
          { binding: "WEBHOOK_DISPATCHER", className: "WebhookDispatcher" },
        ],
        durableObjectStoragePath: storage,
        uniqueKeyPrefix: `nexus-bench-${name}`,
        ...(triggerPort === undefined ? {} : { scheduledTrigger: { host: HOST, port: triggerPort } }),
      }),
    );
    progress(`workerd (${name}, RATE_LIMITS=${rateLimits}): starting on ${url}`);
    const logFile = join(work, `workerd-${name}.log`);
    const started = startWorkerd({
      binary: workerd.path,
      configFile,
      cwd: bundleDir,
      logFile,
      experimental: triggerPort !== undefined,
      ...(workerOptions.inspectorPort === undefined
        ? {}
        : { inspectorAddress: `${HOST}:${workerOptions.inspectorPort}` }),
    });
    cleanup.add(`workerd ${name} (pid ${started.running.pid})`, started.running.stop);
    await waitForHealth({ url, child: started.child, logFile, timeoutMs: HEALTH_TIMEOUT_MS });
    progress(`workerd (${name}): /health is 200`);
    return {
      url,
      pid: started.running.pid,
      ...(triggerPort === undefined ? {} : { scheduledUrl: `http://${HOST}:${triggerPort}/scheduled` }),
      kill: () => killProcess(started.child),
    };
  };

  const startPeer = async (peerOptions: { nodeArgs?: readonly string[] } = {}): Promise<NodeChild> => {
    const jwks = (JSON.parse(credentials.jwks) as Record<string, JSONWebKeySet>).eu;
    if (!jwks) throw new Error("the run's JWKS has no eu key set");
    const peer = await startPeerProcess({
      // The superuser: the peer has no row-level security, as a conventional server has none.
      databaseUrl: ownerUrl(options.database),
      jwks,
      issuer: workerUrl,
      audience: AUDIENCE,
      poolSize: PEER_POOL_SIZE,
      logFile: join(work, "peer.log"),
      ...(peerOptions.nodeArgs ? { nodeArgs: peerOptions.nodeArgs } : {}),
    });
    cleanup.add(`peer (pid ${peer.pid})`, peer.stop);
    progress(`peer (Fastify + pg Pool(${PEER_POOL_SIZE}) + jose): ${peer.url}`);
    return peer;
  };

  return { workerUrl, port, credentials, gateway, workerd, work, startWorker, startPeer };
}
