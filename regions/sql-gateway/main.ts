import { parseArgs } from "node:util";
import { z } from "zod";
import { closeOnSignals } from "../lib/node-service";
import { safeLogLine } from "../lib/telemetry/log-fields";
import { type GatewayBackendOptions, type SqlGateway, startSqlGateway } from "./server";

// CLI: npx tsx regions/sql-gateway/main.ts --port 4401 --postgres postgres://127.0.0.1:5432
//      npx tsx regions/sql-gateway/main.ts --port 4402 --pglite .data/pglite-eu   (memory:// = in memory)
// Flags win over the environment (see README.md). stdout carries exactly one JSON line, printed
// once listening, so a launcher can wait for it and read the URL; logs go to stderr as JSON.

const USAGE = `usage: main.ts (--postgres <postgres://host:port> | --pglite <dir | memory://>)
               [--port 4401] [--host 127.0.0.1] [--pool-size 10] [--statement-timeout-ms 30000]
               [--replica <postgres://host:port>] [--replica-max-wait-ms 50]`;

const MEMORY = "memory://";
/** A second signal, or a close that takes longer than this, exits at once. */
const FORCED_EXIT_MS = 10_000;

const configSchema = z
  .object({
    port: z.coerce.number().int().min(0).max(65_535).default(4401),
    host: z.string().min(1).default("127.0.0.1"),
    postgres: z.string().min(1).optional(),
    pglite: z.string().min(1).optional(),
    poolSize: z.coerce.number().int().min(1).max(1_000).optional(),
    statementTimeoutMs: z.coerce.number().int().min(0).optional(),
    tracesEndpoint: z.url().optional(),
    region: z.string().min(1).default("unknown"),
    // Empty counts as unset, so a manifest may leave it blank.
    replica: z.preprocess((value) => (value === "" ? undefined : value), z.string().min(1).optional()),
    replicaMaxWaitMs: z.coerce.number().int().min(0).max(10_000).optional(),
  })
  .refine((config) => (config.postgres === undefined) !== (config.pglite === undefined), {
    error: "give exactly one backend: --postgres <url> or --pglite <dir>",
  })
  .refine((config) => config.replica === undefined || config.postgres !== undefined, {
    error: "--replica needs a --postgres backend",
  });

/** Per-session debug lines are noise at any real rate; SQL_GATEWAY_DEBUG=1 shows them. */
const showDebug = process.env.SQL_GATEWAY_DEBUG === "1";

/** One JSON line on stderr, allow-listed and redacted like the Worker's (regions/lib/telemetry/log-fields.ts). */
function logLine(line: Record<string, unknown>): void {
  if (line.level === "debug" && !showDebug) return;
  process.stderr.write(
    `${JSON.stringify(safeLogLine({ time: new Date().toISOString(), service: "sql-gateway", ...line }))}\n`,
  );
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let flags: Record<string, string | boolean | undefined>;
  try {
    ({ values: flags } = parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        postgres: { type: "string" },
        pglite: { type: "string" },
        "pool-size": { type: "string" },
        "statement-timeout-ms": { type: "string" },
        replica: { type: "string" },
        "replica-max-wait-ms": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const env = process.env;
  // A flag for one backend overrides the environment's choice of the other.
  const fromFlags = flags.postgres !== undefined || flags.pglite !== undefined;
  const parsed = configSchema.safeParse({
    port: flags.port ?? env.SQL_GATEWAY_PORT,
    host: flags.host ?? env.SQL_GATEWAY_HOST,
    postgres: fromFlags ? flags.postgres : env.SQL_GATEWAY_POSTGRES_URL,
    pglite: fromFlags ? flags.pglite : env.SQL_GATEWAY_PGLITE_DIR,
    poolSize: flags["pool-size"] ?? env.SQL_GATEWAY_POOL_SIZE,
    statementTimeoutMs: flags["statement-timeout-ms"] ?? env.SQL_GATEWAY_STATEMENT_TIMEOUT_MS,
    // The region's collector (OTLP/HTTP JSON); the region names the gateway in its spans.
    tracesEndpoint: env.SQL_GATEWAY_TRACES_ENDPOINT || undefined,
    region: env.SQL_GATEWAY_REGION || undefined,
    replica: flags.replica ?? env.SQL_GATEWAY_REPLICA_URL,
    replicaMaxWaitMs: flags["replica-max-wait-ms"] ?? env.SQL_GATEWAY_REPLICA_MAX_WAIT_MS,
  });
  if (!parsed.success) fail(z.prettifyError(parsed.error));
  const config = parsed.data;

  const backend: GatewayBackendOptions =
    config.postgres !== undefined
      ? {
          kind: "postgres",
          upstream: config.postgres,
          poolSize: config.poolSize,
          replica: config.replica,
          replicaMaxWaitMs: config.replicaMaxWaitMs,
        }
      : { kind: "pglite", dataDir: config.pglite === MEMORY ? undefined : config.pglite };

  let gateway: SqlGateway;
  try {
    gateway = await startSqlGateway({
      port: config.port,
      host: config.host,
      backend,
      statementTimeoutMs: config.statementTimeoutMs,
      log: logLine,
      traces: config.tracesEndpoint ? { endpoint: config.tracesEndpoint, region: config.region } : undefined,
      region: config.region,
    });
  } catch (error) {
    logLine({ level: "error", msg: "sql gateway failed to start", error: (error as Error).message });
    process.exit(1);
  }
  process.stdout.write(
    `${JSON.stringify({ event: "listening", service: "sql-gateway", url: gateway.url, port: gateway.port, backend: backend.kind })}\n`,
  );

  closeOnSignals({ close: () => gateway.close(), log: logLine, forcedExitMs: FORCED_EXIT_MS });
}

await main();
