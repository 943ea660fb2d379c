import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { appUrl, dropDatabase, recreateDatabase, upstreamUrl } from "../test/support/postgres";
import { createCredentials } from "./lib/auth";
import { buildWorker } from "./lib/build";
import { Cleanup } from "./lib/cleanup";
import {
  BENCH_TENANT,
  BURST_LIMIT,
  BURST_TENANT,
  EXTRA_CONTACTS,
  insertContacts,
  migrateAndSeed,
  postgresVersion,
} from "./lib/fixture";
import { startGatewayProcess } from "./lib/gateway";
import { measureBurstAccuracy, measureLimiterOverhead } from "./lib/limiter";
import { machineInfo, sampleCpuBusyPercent } from "./lib/machine";
import { measureScenarios } from "./lib/measure";
import { type BenchOptions, parseOptions, USAGE } from "./lib/options";
import { progress } from "./lib/progress";
import { buildReport, renderReport, writeReport } from "./lib/report";
import { PAGE_SIZE, scenarios } from "./lib/scenarios";
import { freePort, resolveWorkerd, startWorkerd, waitForHealth } from "./lib/workerd";
import { renderWorkerdConfig } from "./lib/workerd-config";

// `npm run bench`: build the Worker as deployed, run it on workerd over a real Postgres behind the
// SQL gateway, load two routes, print the figures and write bench/results/latest.json.
// See bench/README.md for what is measured and how to read it.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DATABASE = "nexus_bench";
const HOST = "127.0.0.1";
/** Nothing listens on the discard port: a mistaken residency forward fails fast instead of hanging. */
const LAGOS_URL = "http://127.0.0.1:9";
const AUDIENCE = "nexus-api";
// Same values as wrangler.toml; the dry-run bundle does not carry them, so the config restates them.
const COMPATIBILITY_DATE = "2026-11-01";
const COMPATIBILITY_FLAGS = ["nodejs_compat"];
const HEALTH_TIMEOUT_MS = 30_000;
/** Above this, other work is competing with the run for the 2 cores. */
const BUSY_WARNING_PERCENT = 15;

const cleanup = new Cleanup();

function assertNode(): void {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    throw new Error(
      `Node ${process.version}: wrangler needs ≥ 22.12. Run it as \`npm run bench\` (node_modules/.bin/node is 22).`,
    );
  }
}

async function main(options: BenchOptions): Promise<boolean> {
  assertNode();
  const loadAverageAtStart = os.loadavg()[0] ?? 0;
  const cpuBusyPercentAtStart = await sampleCpuBusyPercent();
  progress(`machine: CPU ${cpuBusyPercentAtStart ?? "?"} % busy before starting`);
  if (cpuBusyPercentAtStart !== null && cpuBusyPercentAtStart > BUSY_WARNING_PERCENT) {
    progress("warning: something else is using the CPU; the figures will be lower than on an idle machine");
  }

  const work = mkdtempSync(join(os.tmpdir(), "nexus-bench-"));
  cleanup.add(options.keep ? `nothing in ${work} (--keep)` : `temporary folder ${work}`, () => {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  });
  const bundleDir = join(work, "bundle");
  const storageDir = join(work, "do-storage");
  mkdirSync(storageDir, { recursive: true });

  progress("building the Worker: wrangler deploy --dry-run --env local-eu");
  const bundle = await buildWorker({ root: ROOT, env: "local-eu", outdir: bundleDir });
  progress(
    `bundle: ${bundle.modules.map((m) => m.name).join(", ")} (${(bundle.bytes / 1024).toFixed(0)} KiB)`,
  );
  const workerd = resolveWorkerd();
  progress(`workerd: ${workerd.version} (${workerd.path})`);

  progress(`database: recreating ${DATABASE}`);
  await recreateDatabase(DATABASE);
  cleanup.add(`database ${DATABASE}`, () => dropDatabase(DATABASE));

  progress(`SQL gateway: starting on ${upstreamUrl()} (pool ${options.poolSize})`);
  const gateway = await startGatewayProcess({
    upstream: upstreamUrl(),
    poolSize: options.poolSize,
    logFile: join(work, "gateway.log"),
  });
  cleanup.add(`SQL gateway (pid ${gateway.pid})`, gateway.stop);
  progress(`SQL gateway: ${gateway.url}`);

  progress("database: migrating and seeding through the gateway");
  await migrateAndSeed(DATABASE, gateway.url);
  const contacts = await insertContacts(DATABASE, BENCH_TENANT.tenantId, EXTRA_CONTACTS);
  progress(`database: ${contacts} contacts for tenant ${BENCH_TENANT.slug}`);

  const port = await freePort(HOST);
  const workerUrl = `http://${HOST}:${port}`;
  // Five scenarios at most (--breakdown, the limiter pair), each warmed up and measured, plus a margin.
  const ttlSeconds = Math.ceil(5 * (options.warmupSeconds + options.durationSeconds)) + 600;
  const credentials = await createCredentials({
    issuer: workerUrl,
    audience: AUDIENCE,
    tenantId: BENCH_TENANT.tenantId,
    userId: BENCH_TENANT.ownerId,
    ttlSeconds,
  });

  // Two instances of the same bundle: the one measured everywhere (limits on, as deployed) and
  // one with RATE_LIMITS=off for the limiter's overhead. Both name the first as the eu region,
  // so one token verifies at either.
  const startWorker = async (name: string, listenPort: number, rateLimits: "on" | "off") => {
    const url = `http://${HOST}:${listenPort}`;
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
          ENVIRONMENT: "development",
          REGION_URLS: JSON.stringify({ eu: workerUrl, lagos: LAGOS_URL }),
          JWT_AUDIENCE: AUDIENCE,
          JWKS: credentials.jwks,
          CORS_ORIGINS: "",
          DATABASE_URL: appUrl(DATABASE),
          DATABASE_HTTP_URL: `${gateway.url}/sql`,
          BACKEND_URL: gateway.url,
          UPSTASH_REDIS_REST_URL: "",
          RATE_LIMITS: rateLimits,
        },
        durableObjects: [{ binding: "RATE_LIMITER", className: "RateLimiter" }],
        durableObjectStoragePath: storage,
        uniqueKeyPrefix: `nexus-bench-${name}`,
      }),
    );
    progress(`workerd (${name}, RATE_LIMITS=${rateLimits}): starting on ${url}`);
    const logFile = join(work, `workerd-${name}.log`);
    const started = startWorkerd({ binary: workerd.path, configFile, cwd: bundleDir, logFile });
    cleanup.add(`workerd ${name} (pid ${started.running.pid})`, started.running.stop);
    await waitForHealth({ url, child: started.child, logFile, timeoutMs: HEALTH_TIMEOUT_MS });
    progress(`workerd (${name}): /health is 200`);
    return { url, pid: started.running.pid };
  };
  const main = await startWorker("main", port, "on");
  const unlimited = await startWorker("unlimited", await freePort(HOST), "off");

  const results = await measureScenarios({
    baseUrl: workerUrl,
    scenarios: scenarios(credentials.token, options.breakdown),
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    pids: { workerd: main.pid, gateway: gateway.pid },
  });

  // At one connection the difference is the limiter's latency; at the run's connections, its
  // effect on throughput under load (every request of the one tenant goes through one object).
  const overhead = [];
  for (const connections of [...new Set([options.overheadConnections, options.connections])]) {
    progress(`limiter overhead: (b) with limits off and on, ${connections} connection(s)`);
    overhead.push(
      await measureLimiterOverhead({
        on: main,
        off: unlimited,
        token: credentials.token,
        connections,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        gatewayPid: gateway.pid,
      }),
    );
  }
  const burst = await measureBurstAccuracy({
    baseUrl: main.url,
    path: `/api/v1/crm/contacts?limit=${PAGE_SIZE}`,
    token: await credentials.tokenFor(BURST_TENANT.tenantId, BURST_TENANT.ownerId),
    limit: BURST_LIMIT,
    extra: BURST_LIMIT,
  });

  const report = buildReport({
    generatedAt: new Date().toISOString(),
    settings: {
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      connections: options.connections,
      gatewayPoolSize: options.poolSize,
      contacts,
      loadGenerator:
        "autocannon (in the benchmark's own Node process, one thread, keep-alive, no pipelining)",
    },
    machine: machineInfo({
      workerd: workerd.version,
      workerdPackage: workerd.packageVersion,
      postgres: await postgresVersion(),
      loadAverageAtStart,
      cpuBusyPercentAtStart,
    }),
    scenarios: results,
    limiter: { overhead, burst },
  });
  process.stdout.write(renderReport(report));
  const output = resolve(ROOT, options.output);
  writeReport(output, report);
  progress(`figures written to ${output}`);
  if (options.keep) progress(`kept ${work} (bundle, workerd-*.capnp, workerd-*.log, gateway.log)`);
  return report.pass;
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    // A second Ctrl-C means "now": skip the rest of the teardown.
    if (interrupted) process.exit(130);
    interrupted = true;
    progress(`${signal}: stopping and cleaning up`);
    void cleanup.runAll().then(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}

let options: BenchOptions | undefined;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(2);
}
if (!options) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

let exitCode = 1;
try {
  const pass = await main(options);
  exitCode = pass ? 0 : 1;
  if (!pass) progress("a target was missed: exit code 1");
} catch (error) {
  progress(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await cleanup.runAll();
}
// Exit explicitly: pg's and autocannon's sockets can otherwise keep the loop alive for a while.
if (!interrupted) process.exit(exitCode);
