import os from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startModelStandIn } from "../regions/model-standin/server";
import { startTraceCollector } from "../regions/otel-collector/server";
import { startPaymentProviders } from "../regions/payment-providers/server";
import { measureActivations } from "./lib/activations";
import { aiWorkerVars, measureAi, renderAi } from "./lib/ai";
import { startBenchStack } from "./lib/bench-stack";
import { Cleanup } from "./lib/cleanup";
import { measureContactWrites, renderContactWrites } from "./lib/contact-writes";
import { eventsTarget, measureEvents, renderEvents } from "./lib/events";
import { financeTarget, measureFinance, renderFinance } from "./lib/finance";
import {
  BENCH_TENANT,
  BURST_LIMIT,
  BURST_TENANT,
  CREATE_TENANT,
  EXTRA_CONTACTS,
  insertContacts,
  postgresVersion,
} from "./lib/fixture";
import {
  type BurstAccuracy,
  type LimiterOverhead,
  measureBurstAccuracy,
  measureLimiterOverhead,
} from "./lib/limiter";
import { machineInfo, sampleCpuBusyPercent } from "./lib/machine";
import { measureScenarios } from "./lib/measure";
import { type BenchOptions, parseOptions, USAGE } from "./lib/options";
import { measurePdf, pdfTarget, renderPdf } from "./lib/pdf";
import {
  measurePeerComparison,
  type PeerComparison,
  peerTargets,
  renderPeerComparison,
} from "./lib/peer-comparison";
import { profileRoute, renderRouteProfile } from "./lib/profile-run";
import { progress } from "./lib/progress";
import { type FanOutTimings, measureFanOut, renderFanOut } from "./lib/realtime";
import {
  activationTarget,
  buildReport,
  limiterTargets,
  realtimeTargets,
  renderActivations,
  renderLimiter,
  renderReport,
  renderTarget,
  writeReport,
} from "./lib/report";
import { PAGE_SIZE, scenarios } from "./lib/scenarios";
import { measureSearch, renderSearch } from "./lib/search";
import { measureTracing, renderTracing, tracingTargets } from "./lib/tracing";
import { measureWebhookLatency, renderWebhooks } from "./lib/webhooks";
import { freePort } from "./lib/workerd";

// `npm run bench`: build the Worker as deployed, run it on workerd over a real Postgres behind the
// SQL gateway, load two routes, print the figures and write bench/results/latest.json.
// See bench/README.md for what is measured and how to read it.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** BENCH_DATABASE names another, so two checkouts on one machine can each run a bench. */
const DATABASE = process.env.BENCH_DATABASE || "nexus_bench";
/** Above this, other work is competing with the run for the 2 cores. */
const BUSY_WARNING_PERCENT = 15;

const cleanup = new Cleanup();
/** Chat messages timed at every socket per fan-out run (after two unmeasured ones). */
const REALTIME_MESSAGES = 50;
/** Renders of each invoice measured by `--only pdf` (after six unmeasured ones). */
const PDF_RENDERS = 40;
/** `--only finance`: initiates measured (after five unmeasured ones), each then one distinct webhook event. */
const FINANCE_PAYMENTS = Number(process.env.BENCH_FINANCE_PAYMENTS ?? 300);
/** `--only finance`: how often each event is delivered, and from how many connections at once (env to vary them). */
const FINANCE_DUPLICATES = Number(process.env.BENCH_FINANCE_DUPLICATES ?? 10);
const FINANCE_CONCURRENCY = Number(process.env.BENCH_FINANCE_CONCURRENCY ?? 50);
/** Contact creates measured by `--only webhooks` (after two unmeasured ones). */
const WEBHOOK_DELIVERIES = 30;

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

  if (options.only === "pdf") {
    // The renderer alone on workerd: no database, no gateway, no API Worker (bench/lib/pdf.ts).
    const cases = await measurePdf({ root: ROOT, cleanup, keep: options.keep, count: PDF_RENDERS });
    const target = pdfTarget(cases);
    process.stdout.write(`\n${renderPdf(cases)}\n\n${renderTarget(target)}\n\n`);
    return target.pass;
  }

  if (options.only === "events") {
    // The outbox relay between Postgres and a nats-server of its own: no Worker (bench/lib/events.ts).
    const figures = await measureEvents({
      database: `${DATABASE}_events`,
      cleanup,
      backlog: Number(process.env.BENCH_EVENTS ?? 100_000),
      rate: Number(process.env.BENCH_EVENTS_RATE ?? 5_000),
      seconds: options.durationSeconds,
    });
    const target = eventsTarget(figures);
    process.stdout.write(`\n${renderEvents(figures)}\n\n${renderTarget(target)}\n\n`);
    return target.pass;
  }

  // Five scenarios at most (--breakdown, the limiter pair), each warmed up and measured, plus a margin.
  const ttlSeconds = Math.ceil(5 * (options.warmupSeconds + options.durationSeconds)) + 600;
  // --profile: the gateway's DevTools inspector, to profile it for the measured window only.
  const gatewayInspector = options.profile ? `127.0.0.1:${await freePort("127.0.0.1")}` : undefined;
  // --only tracing: the collector stand-in the sampled instance and the gateway export to.
  const collector = options.only === "tracing" ? await startTraceCollector({ port: 0 }) : undefined;
  if (collector) cleanup.add(`trace collector ${collector.url}`, () => collector.close());
  const stack = await startBenchStack({
    root: ROOT,
    database: DATABASE,
    poolSize: options.poolSize,
    keep: options.keep,
    ...(collector ? { gatewayTracesEndpoint: collector.tracesEndpoint } : {}),
    ...(gatewayInspector ? { gatewayNodeArgs: [`--inspect=${gatewayInspector}`] } : {}),
    tokenTtlSeconds: ttlSeconds,
    cleanup,
  });
  const { credentials, gateway, workerd, work, workerUrl, startWorker } = stack;
  if (options.only === "finance") {
    // The payment providers stand-in in this process; the Worker calls it for initiate and verify.
    const standin = await startPaymentProviders({ port: 0 });
    cleanup.add(`payment providers stand-in ${standin.url}`, () => standin.close());
    // RATE_LIMITS=off: the provider webhook route is public, so one address (this process) is
    // held to the per-address public limit (600 a minute) — what is measured is the intake itself.
    // --profile finance: workerd's inspector, profiled for the intake phase only.
    const inspectorPort = options.profile === "finance" ? await freePort("127.0.0.1") : undefined;
    const alone = await startWorker("main", stack.port, "off", {
      paymentProviderUrls: standin.providerUrls,
      ...(inspectorPort === undefined ? {} : { inspectorPort }),
    });
    const finance = await measureFinance({
      ...(inspectorPort === undefined ? {} : { inspector: `127.0.0.1:${inspectorPort}` }),
      baseUrl: alone.url,
      token: credentials.token,
      standinUrl: standin.url,
      database: DATABASE,
      tenantId: BENCH_TENANT.tenantId,
      pids: { workerd: alone.pid, gateway: gateway.pid },
      count: FINANCE_PAYMENTS,
      warmup: 5,
      duplicates: FINANCE_DUPLICATES,
      concurrency: FINANCE_CONCURRENCY,
    });
    const target = financeTarget(finance);
    process.stdout.write(`\n${renderFinance(finance)}\n\n${renderTarget(target)}\n\n`);
    return target.pass;
  }
  if (options.only === "ai") {
    const models = await startModelStandIn({ port: 0 });
    cleanup.add(`model stand-in ${models.url}`, () => models.close());
    const alone = await startWorker("main", stack.port, "off", { vars: aiWorkerVars(models.url) });
    const ai = await measureAi({ baseUrl: alone.url, token: credentials.token, standInUrl: models.url });
    process.stdout.write(`\n${renderAi(ai)}\n\n`);
    return ai.concurrent.failed === 0;
  }
  if (options.only === "search") {
    // RATE_LIMITS=off: one tenant's token at 50 connections would meet its tier limit, not the search.
    const alone = await startWorker("main", stack.port, "off");
    const figures = await measureSearch({
      baseUrl: alone.url,
      token: credentials.token,
      database: DATABASE,
      tenantId: BENCH_TENANT.tenantId,
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
    });
    process.stdout.write(`\n${renderSearch(figures, options.connections)}\n\n`);
    return true;
  }
  if (options.only === "tracing" && collector) {
    // RATE_LIMITS=off: one token at 50 connections would meet its tier limit, not the tracing.
    const traces = (rate: string) => ({
      vars: { TRACES_ENDPOINT: collector.tracesEndpoint, TRACES_SAMPLE_RATE: rate },
    });
    const host = new URL(workerUrl).hostname;
    const off = await startWorker("tracing-off", stack.port, "off");
    const unsampled = await startWorker("tracing-unsampled", await freePort(host), "off", traces("0"));
    const byDefault = await startWorker("tracing-default", await freePort(host), "off", traces("0.05"));
    const sampled = await startWorker("tracing-sampled", await freePort(host), "off", traces("1"));
    const contacts = await insertContacts(DATABASE, BENCH_TENANT.tenantId, EXTRA_CONTACTS);
    progress(`database: ${contacts} contacts for tenant ${BENCH_TENANT.slug}`);
    const figures = await measureTracing({
      urls: { off: off.url, unsampled: unsampled.url, default: byDefault.url, sampled: sampled.url },
      token: credentials.token,
      collector,
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
      windows: options.windows,
    });
    const targets = tracingTargets(figures);
    process.stdout.write(`\n${renderTracing(figures)}\n\n${targets.map(renderTarget).join("\n")}\n\n`);
    return targets.every((t) => t.pass);
  }
  if (options.only && options.only !== "limiter" && options.only !== "list-vs-peer") {
    const alone = await startWorker("main", stack.port, "on");
    return runOnly(options, alone.url, credentials.token);
  }
  const contacts = await insertContacts(DATABASE, BENCH_TENANT.tenantId, EXTRA_CONTACTS);
  progress(`database: ${contacts} contacts for tenant ${BENCH_TENANT.slug}`);
  if ((options.profile === "list" || options.profile === "create") && gatewayInspector) {
    const inspectorPort = await freePort("127.0.0.1");
    const profiled = await startWorker("main", stack.port, "on", { inspectorPort });
    const profile = await profileRoute({
      route: options.profile,
      workerUrl: profiled.url,
      inspectors: { workerd: `127.0.0.1:${inspectorPort}`, gateway: gatewayInspector },
      pids: { workerd: profiled.pid, gateway: gateway.pid },
      database: DATABASE,
      listToken: credentials.token,
      createToken: await credentials.tokenFor(CREATE_TENANT.tenantId, CREATE_TENANT.ownerId),
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
    });
    process.stdout.write(`\n${renderRouteProfile(profile)}\n\n`);
    return true;
  }

  // Two instances of the same bundle: the one measured everywhere (limits on, as deployed) and
  // one with RATE_LIMITS=off for the limiter's overhead. Both name the first as the eu region,
  // so one token verifies at either.
  const main = await startWorker("main", stack.port, "on");
  if (options.only === "list-vs-peer") {
    const comparison = await measurePeer(options, stack, main);
    const targets = peerTargets(comparison);
    process.stdout.write(
      `\n${renderPeerComparison(comparison)}\n\n${targets.map(renderTarget).join("\n")}\n\n`,
    );
    return targets.every((t) => t.pass);
  }
  const unlimited = await startWorker("unlimited", await freePort(new URL(workerUrl).hostname), "off");
  const measureLimiter = () => measureLimiterSection(options, { main, unlimited, stack });
  if (options.only === "limiter") {
    const limiter = await measureLimiter();
    const targets = limiterTargets(limiter);
    process.stdout.write(`\n${renderLimiter(limiter)}\n\n${targets.map(renderTarget).join("\n")}\n\n`);
    return targets.every((t) => t.pass);
  }

  const results = await measureScenarios({
    baseUrl: workerUrl,
    scenarios: scenarios(credentials.token, options.breakdown),
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    pids: { workerd: main.pid, gateway: gateway.pid },
  });
  const peer = await measurePeer(options, stack, main);
  const limiter = await measureLimiter();

  const activation = await measureActivations({ baseUrl: main.url, count: options.activations, warmup: 2 });
  const realtime = await measureRealtime(options, main.url, credentials.token);

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
    peer,
    limiter,
    activation,
    realtime,
  });
  process.stdout.write(renderReport(report));
  const output = resolve(ROOT, options.output);
  writeReport(output, report);
  progress(`figures written to ${output}`);
  if (options.keep) progress(`kept ${work} (bundle, workerd-*.capnp, workerd-*.log, gateway.log)`);
  return report.pass;
}

type Worker = { url: string; pid: number };

/** Issue #15: the peer (bench/peer/) started beside the main Worker, both measured in alternated windows. */
async function measurePeer(
  options: BenchOptions,
  stack: Awaited<ReturnType<typeof startBenchStack>>,
  worker: Worker,
): Promise<PeerComparison> {
  const peer = await stack.startPeer();
  return measurePeerComparison({
    worker,
    peer,
    gatewayPid: stack.gateway.pid,
    listToken: stack.credentials.token,
    createToken: await stack.credentials.tokenFor(CREATE_TENANT.tenantId, CREATE_TENANT.ownerId),
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    windows: options.windows,
  });
}

/**
 * What the rate limiter adds to (b), with limits off and on: at one connection the difference is
 * the limiter's latency; at the run's connections, its effect on throughput under load (every
 * request of the one tenant goes through one object). Then a burst against the burst tenant.
 */
async function measureLimiterSection(
  options: BenchOptions,
  {
    main,
    unlimited,
    stack,
  }: { main: Worker; unlimited: Worker; stack: Awaited<ReturnType<typeof startBenchStack>> },
): Promise<{ overhead: LimiterOverhead[]; burst: BurstAccuracy }> {
  const overhead = [];
  for (const connections of [...new Set([options.overheadConnections, options.connections])]) {
    progress(`limiter overhead: (b) with limits off and on, ${connections} connection(s)`);
    overhead.push(
      await measureLimiterOverhead({
        on: main,
        off: unlimited,
        token: stack.credentials.token,
        connections,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        gatewayPid: stack.gateway.pid,
      }),
    );
  }
  const burst = await measureBurstAccuracy({
    baseUrl: main.url,
    path: `/api/v1/crm/contacts?limit=${PAGE_SIZE}`,
    token: await stack.credentials.tokenFor(BURST_TENANT.tenantId, BURST_TENANT.ownerId),
    limit: BURST_LIMIT,
    extra: BURST_LIMIT,
  });
  return { overhead, burst };
}

async function measureRealtime(
  options: BenchOptions,
  baseUrl: string,
  token: string,
): Promise<FanOutTimings[]> {
  const results = [];
  for (const sockets of options.realtimeSockets) {
    results.push(await measureFanOut({ baseUrl, token, sockets, messages: REALTIME_MESSAGES }));
  }
  return results;
}

/** `--only activations|realtime|webhooks` (the limiter has its own path in main): one section on one workerd, its lines and its target. */
async function runOnly(options: BenchOptions, baseUrl: string, token: string): Promise<boolean> {
  if (options.only === "webhooks") {
    // No target yet: the figure is recorded for the bench line.
    const webhooks = await measureWebhookLatency({ baseUrl, token, count: WEBHOOK_DELIVERIES, warmup: 2 });
    process.stdout.write(`\n${renderWebhooks(webhooks)}\n\n`);
    return true;
  }
  if (options.only === "contact-writes") {
    // No target: the figure compares builds (e.g. with and without a cache on the write path).
    const writes = await measureContactWrites({ baseUrl, token, ...options });
    process.stdout.write(`\n${renderContactWrites(writes, options.connections)}\n\n`);
    return true;
  }
  if (options.only === "activations") {
    const activation = await measureActivations({ baseUrl, count: options.activations, warmup: 2 });
    const target = activationTarget(activation);
    process.stdout.write(`\n${renderActivations(activation)}\n\n${renderTarget(target)}\n\n`);
    return target.pass;
  }
  const realtime = await measureRealtime(options, baseUrl, token);
  const targets = realtimeTargets(realtime);
  process.stdout.write(`\n${renderFanOut(realtime)}\n\n${targets.map(renderTarget).join("\n")}\n\n`);
  return targets.every((t) => t.pass);
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
