import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { listen } from "../lib/node-service";
import { otlpSender, Tracing } from "../lib/telemetry/tracing";
import { createPgliteBackend } from "./backends/pglite";
import { createPostgresBackend, parseUpstream, replicaUpstream } from "./backends/postgres";
import { withReplicaReads } from "./backends/replica-reads";
import type { SqlBackend } from "./backends/types";
import { createHttpHandler } from "./http-handler";
import { type Log, silentLog } from "./log";
import { gatewayMetrics } from "./metrics";
import { attachWebSocketRelay } from "./ws-relay";

// The SQL gateway: Neon's SQL-over-HTTP and WebSocket protocols in front of a pooled Postgres
// (what a Kubernetes region runs) or an embedded PGlite (local development). See README.md.

export interface SqlGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

export type GatewayBackendOptions =
  | {
      kind: "postgres";
      upstream: string /* e.g. postgres://127.0.0.1:5432 — host/port of the real server */;
      poolSize?: number;
      /**
       * The streaming replicas (CloudNativePG's `-ro` Service), for reads marked replica-safe
       * (backends/replica-reads.ts). Without it those are served by `upstream`, read-only.
       * User, password, database and sslmode it does not give are `upstream`'s.
       */
      replica?: string;
      /** How long a marked read waits for a lagging replica before the primary serves it. Default 50 ms. */
      replicaMaxWaitMs?: number;
    }
  | { kind: "pglite"; dataDir?: string /* undefined = in-memory */ };

export interface SqlGatewayOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  backend: GatewayBackendOptions;
  /** Per statement; 0 disables. Default 30 s. */
  statementTimeoutMs?: number;
  log?: (line: Record<string, unknown>) => void;
  /** Largest /sql body and WebSocket message. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Connecting to Postgres, or waiting for a free pooled connection. Default 5 s. */
  connectTimeoutMs?: number;
  /**
   * An OTLP/HTTP JSON traces endpoint (…/v1/traces): requests that carry a `traceparent` get a
   * span there. Unset: no spans. `region` names the gateway's region in them.
   */
  traces?: { endpoint: string; region: string } | undefined;
  /** The region label of the gateway's metrics (GET /metrics). */
  region?: string | undefined;
}

const upstreamUrl = z.string().refine(
  (value) => {
    try {
      parseUpstream(value);
      return true;
    } catch {
      return false;
    }
  },
  { error: "upstream must be a postgres:// URL with a host" },
);

const optionsSchema = z.object({
  port: z.number().int().min(0).max(65_535).default(0),
  host: z.string().min(1).default("127.0.0.1"),
  backend: z.discriminatedUnion("kind", [
    z.object({
      kind: z.literal("postgres"),
      upstream: upstreamUrl,
      poolSize: z.number().int().min(1).max(1_000).default(10),
      replica: upstreamUrl.optional(),
      replicaMaxWaitMs: z.number().int().min(0).max(10_000).default(50),
    }),
    z.object({ kind: z.literal("pglite"), dataDir: z.string().min(1).optional() }),
  ]),
  statementTimeoutMs: z.number().int().min(0).default(30_000),
  maxBodyBytes: z
    .number()
    .int()
    .min(1_024)
    .default(10 * 1024 * 1024),
  connectTimeoutMs: z.number().int().min(100).default(5_000),
});

/** On close, in-flight HTTP requests get this long before their sockets are cut. */
const CLOSE_GRACE_MS = 5_000;
/** Beyond the statement timeout, how long a request may take to arrive in full. */
const REQUEST_TIMEOUT_MARGIN_MS = 30_000;

function urlHost(address: AddressInfo): string {
  // A wildcard bind is reachable on loopback; a URL cannot point at "0.0.0.0" usefully.
  if (address.address === "0.0.0.0") return "127.0.0.1";
  if (address.address === "::") return "[::1]";
  return address.family === "IPv6" ? `[${address.address}]` : address.address;
}

function postgresBackend(
  options: { upstream: string; poolSize: number; replica?: string | undefined; replicaMaxWaitMs: number },
  timeouts: { statementTimeoutMs: number; connectTimeoutMs: number },
  log: Log,
): SqlBackend {
  const connect = (upstream: string) =>
    createPostgresBackend({ upstream, poolSize: options.poolSize, ...timeouts, log });
  const primary = connect(options.upstream);
  if (options.replica === undefined) return primary;
  return withReplicaReads({
    primary,
    replica: connect(replicaUpstream(options.replica, options.upstream)),
    walPosition: (role) => primary.walPosition(role),
    maxWaitMs: options.replicaMaxWaitMs,
    log,
  });
}

export async function startSqlGateway(options: SqlGatewayOptions): Promise<SqlGateway> {
  const config = optionsSchema.parse(options);
  const log: Log = options.log ?? silentLog;

  const backend: SqlBackend =
    config.backend.kind === "postgres"
      ? postgresBackend(config.backend, config, log)
      : await createPgliteBackend({
          dataDir: config.backend.dataDir,
          statementTimeoutMs: config.statementTimeoutMs,
          log,
        });

  const traces = options.traces;
  const tracing = traces
    ? new Tracing({
        resource: () => ({ "service.name": "sql-gateway", "nexus.region": traces.region }),
        send: otlpSender(traces.endpoint),
        // One export per 200 ms at most, not one per SQL request.
        batchDelayMs: 200,
      })
    : undefined;
  const metrics = gatewayMetrics(traces?.region ?? options.region ?? "unknown");
  const server = createServer(
    createHttpHandler({ backend, log, maxBodyBytes: config.maxBodyBytes, tracing, metrics }),
  );
  server.requestTimeout = (config.statementTimeoutMs || 300_000) + REQUEST_TIMEOUT_MARGIN_MS;
  server.headersTimeout = 20_000;
  // Node closes a keep-alive socket after 5 s idle by default. A client that sends on a pooled
  // socket just as the server closes it gets "Network connection lost" (workerd) for a request the
  // gateway never saw, and a write cannot be retried blindly; idle sockets are cheap here, so they
  // are kept far longer than a Worker's pooled connection sits idle between requests.
  server.keepAliveTimeout = 120_000;
  const relay = attachWebSocketRelay(server, { backend, log, maxMessageBytes: config.maxBodyBytes });

  let address: AddressInfo;
  try {
    address = await listen(server, config.port, config.host);
  } catch (error) {
    await relay.close();
    await backend.close();
    throw error;
  }
  const url = `http://${urlHost(address)}:${address.port}`;
  log({ level: "info", msg: "sql gateway listening", url, backend: backend.kind });

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    await relay.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Idle keep-alive sockets would hold close() open; in-flight requests get a grace period.
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
    });
    await backend.close();
    // The last batch of spans reaches the collector before the process goes.
    await tracing?.settled();
    log({ level: "info", msg: "sql gateway closed", url });
  };

  return {
    url,
    port: address.port,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
