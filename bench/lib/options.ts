import { parseArgs } from "node:util";
import { socketCeiling } from "./socket-ceiling";

export interface BenchOptions {
  /** Measured seconds per scenario. */
  durationSeconds: number;
  /** Concurrent keep-alive connections of the load generator. */
  connections: number;
  /** Unmeasured seconds per scenario first: JIT, the gateway's pool and workerd's isolate warm up. */
  warmupSeconds: number;
  /** Postgres connections the SQL gateway keeps per role. */
  poolSize: number;
  /** Connections for the limiter's overhead (low: latency is then service time, not queueing). */
  overheadConnections: number;
  /** Also measure an authenticated 404 (token verification, no database) between (a) and (b). */
  breakdown: boolean;
  /** Keep the temporary folder (bundle, capnp config, workerd log) for a look afterwards. */
  keep: boolean;
  /** Where the JSON figures go. */
  output: string;
  /** Sign-ups measured (after two unmeasured ones). */
  activations: number;
  /** Only one section's figures, no load scenarios (quick; no JSON report is written). */
  only:
    | "activations"
    | "limiter"
    | "realtime"
    | "webhooks"
    | "pdf"
    | "contact-writes"
    | "ai"
    | "finance"
    | "events"
    | "list-vs-peer"
    | "search"
    | "tracing"
    | undefined;
  /** Measured windows per scenario in the peer comparison (alternated A B B A, repeated). */
  windows: number;
  /** `--profile list|create|finance`: CPU profiles (finance: workerd during the webhook intake of `--only finance`); of workerd and the gateway (DevTools inspector) and Postgres' share while one route is loaded. */
  profile: "list" | "create" | "finance" | undefined;
  /** Socket counts of the realtime fan-out runs (`max`: as many as this machine holds, see socket-ceiling.ts). */
  realtimeSockets: number[];
}

export const USAGE = `usage: npm run bench -- [--duration 10] [--connections 50] [--warmup 3] [--pool-size 10]
                        [--overhead-connections 1] [--output bench/results/latest.json] [--keep] [--breakdown]
                        [--activations 20] [--realtime-sockets 1000,max] [--only activations|limiter|realtime|webhooks|pdf|contact-writes|finance|events|list-vs-peer|ai|search|tracing]
                        [--windows 4] [--profile list|create|finance]
Environment (flags win): BENCH_DURATION, BENCH_CONNECTIONS, BENCH_WARMUP, BENCH_POOL_SIZE,
BENCH_OVERHEAD_CONNECTIONS, BENCH_ACTIVATIONS, BENCH_WINDOWS, BENCH_REALTIME_SOCKETS, BENCH_EVENTS (backlog, 100000),
BENCH_EVENTS_RATE (steady events/s, 5000); BENCH_DATABASE (default nexus_bench,
recreated and dropped by the run).
Postgres: 127.0.0.1:5432, superuser postgres, trust auth (NEXUS_TEST_PG_HOST/PORT/USER override).`;

function positiveNumber(name: string, raw: string | undefined, fallback: number, integer: boolean): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? "integer" : "number"}, got "${raw}"`);
  }
  return value;
}

function onlyOption(raw: string | undefined): BenchOptions["only"] {
  if (raw === undefined) return undefined;
  if (
    raw === "activations" ||
    raw === "limiter" ||
    raw === "realtime" ||
    raw === "webhooks" ||
    raw === "pdf" ||
    raw === "contact-writes" ||
    raw === "finance" ||
    raw === "events" ||
    raw === "list-vs-peer" ||
    raw === "ai" ||
    raw === "search" ||
    raw === "tracing"
  ) {
    return raw;
  }
  throw new Error(
    `--only must be activations, limiter, realtime, webhooks, pdf, contact-writes, finance, events, list-vs-peer, ai, search or tracing, got "${raw}"`,
  );
}

function profileOption(raw: string | undefined): BenchOptions["profile"] {
  if (raw === undefined) return undefined;
  if (raw === "list" || raw === "create" || raw === "finance") return raw;
  throw new Error(`--profile must be list, create or finance, got "${raw}"`);
}

/** Returns undefined for --help (the caller prints USAGE and exits 0). */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      warmup: { type: "string" },
      "pool-size": { type: "string" },
      "overhead-connections": { type: "string" },
      output: { type: "string" },
      keep: { type: "boolean", default: false },
      breakdown: { type: "boolean", default: false },
      activations: { type: "string" },
      only: { type: "string" },
      windows: { type: "string" },
      profile: { type: "string" },
      "realtime-sockets": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  return {
    durationSeconds: positiveNumber("--duration", values.duration ?? env.BENCH_DURATION, 10, false),
    connections: positiveNumber("--connections", values.connections ?? env.BENCH_CONNECTIONS, 50, true),
    warmupSeconds: positiveNumber("--warmup", values.warmup ?? env.BENCH_WARMUP, 3, false),
    poolSize: positiveNumber("--pool-size", values["pool-size"] ?? env.BENCH_POOL_SIZE, 10, true),
    overheadConnections: positiveNumber(
      "--overhead-connections",
      values["overhead-connections"] ?? env.BENCH_OVERHEAD_CONNECTIONS,
      1,
      true,
    ),
    keep: values.keep,
    breakdown: values.breakdown,
    output: values.output ?? "bench/results/latest.json",
    activations: positiveNumber("--activations", values.activations ?? env.BENCH_ACTIVATIONS, 20, true),
    only: onlyOption(values.only),
    windows: positiveNumber("--windows", values.windows ?? env.BENCH_WINDOWS, 4, true),
    profile: profileOption(values.profile),
    realtimeSockets: (values["realtime-sockets"] ?? env.BENCH_REALTIME_SOCKETS ?? "1000,max")
      .split(",")
      .map((n) =>
        n.trim() === "max" ? socketCeiling() : positiveNumber("--realtime-sockets", n.trim(), 0, true),
      ),
  };
}
