import { measureScenarios } from "./measure";
import { progress } from "./progress";
import type { ScenarioReport } from "./report";
import { PAGE_SIZE, type Scenario } from "./scenarios";

export interface LimiterOverhead {
  connections: number;
  off: ScenarioReport;
  on: ScenarioReport;
  /** on − off, ms. */
  addedMs: { p50: number; p99: number };
}

export interface BurstAccuracy {
  path: string;
  limit: number;
  sent: number;
  allowed: number;
  refused: number;
  other: Record<string, number>;
  /** allowed ÷ limit: 1 is exact; above 1 the limiter let too many through. */
  accuracy: number;
  /** Refused requests sent after the burst, all answered from the isolate's blocked keys. */
  refusedAfter: { sent: number; p50Ms: number };
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * The same authenticated contacts list on two workerd instances of the same bundle, one with
 * RATE_LIMITS=off: the difference is what the limiter adds to a request. Measured at low
 * concurrency (one connection by default), where latency is service time rather than queueing
 * (at 50 connections, p50 is connections ÷ throughput, see README), in A B B A windows.
 */
export async function measureLimiterOverhead(options: {
  on: { url: string; pid: number };
  off: { url: string; pid: number };
  token: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  gatewayPid: number;
}): Promise<LimiterOverhead> {
  const scenario = (id: "limits-off" | "limits-on", worker: { url: string; pid: number }): Scenario => ({
    id,
    label: `(${id === "limits-on" ? "b+" : "b−"}) contacts, limits ${id === "limits-on" ? "on" : "off"}`,
    description: `(b) at ${options.connections} connection(s) with RATE_LIMITS=${id === "limits-on" ? "on" : "off"}.`,
    baseUrl: worker.url,
    workerdPid: worker.pid,
    path: `/api/v1/crm/contacts?limit=${PAGE_SIZE}`,
    headers: { Authorization: `Bearer ${options.token}` },
    expectedStatus: 200,
  });
  const [off, on] = await measureScenarios({
    baseUrl: options.on.url,
    scenarios: [scenario("limits-off", options.off), scenario("limits-on", options.on)],
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    pids: { workerd: options.on.pid, gateway: options.gatewayPid },
  });
  if (!off || !on) throw new Error("limiter overhead needs both scenarios");
  return {
    connections: options.connections,
    off,
    on,
    addedMs: {
      p50: round(on.latencyMs.p50 - off.latencyMs.p50),
      p99: round(on.latencyMs.p99 - off.latencyMs.p99),
    },
  };
}

async function timedFetch(url: string, token: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

/**
 * L + k requests at once against a tenant whose limit is L: how many got through. Then a few
 * more, now refused without a Durable Object round trip, to show what a refusal costs.
 */
export async function measureBurstAccuracy(options: {
  baseUrl: string;
  path: string;
  token: string;
  limit: number;
  extra: number;
}): Promise<BurstAccuracy> {
  const sent = options.limit + options.extra;
  progress(`burst: ${sent} concurrent requests against a limit of ${options.limit}`);
  const results = await Promise.all(
    Array.from({ length: sent }, () => timedFetch(options.baseUrl + options.path, options.token)),
  );
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const allowed = counts[200] ?? 0;
  const refused = counts[429] ?? 0;
  const other = Object.fromEntries(Object.entries(counts).filter(([s]) => s !== "200" && s !== "429"));

  const after: number[] = [];
  for (let i = 0; i < 200; i++) {
    const r = await timedFetch(options.baseUrl + options.path, options.token);
    if (r.status !== 429) throw new Error(`burst: a request after the limit answered ${r.status}`);
    after.push(r.ms);
  }
  after.sort((a, b) => a - b);
  return {
    path: options.path,
    limit: options.limit,
    sent,
    allowed,
    refused,
    other,
    accuracy: round(allowed / options.limit),
    refusedAfter: { sent: after.length, p50Ms: round(after[Math.floor(after.length / 2)] ?? Number.NaN) },
  };
}
