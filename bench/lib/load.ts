import autocannon from "autocannon";
import { percentile } from "./percentile";

export interface LoadOptions {
  url: string;
  /** GET unless given; a body is sent with every request. */
  method?: "GET" | "POST";
  body?: string;
  headers?: Record<string, string>;
  connections: number;
  durationSeconds: number;
}

/** One load window, raw: windows of the same scenario are merged by `summarize`. */
export interface LoadRun {
  /** Per-response latency in fractional ms, in arrival order. */
  samples: Float64Array;
  durationSeconds: number;
  statusCounts: Record<string, number>;
  /** Connection errors (timeouts included): requests that got no response at all. */
  errors: number;
  timeouts: number;
}

export interface LoadResult {
  /** Responses received (any status) during the measured windows. */
  responses: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Responses per HTTP status. */
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
}

/**
 * Closed-loop load: `connections` keep-alive connections, each sending its next request as soon
 * as the previous answer arrives (what wrk does). Latencies come from autocannon's per-response
 * event in fractional milliseconds: its own histogram truncates to whole milliseconds, too
 * coarse for a route answering in a few.
 */
export function runLoad(options: LoadOptions): Promise<LoadRun> {
  let samples = new Float64Array(1 << 16);
  let count = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: options.method ?? "GET",
        ...(options.body === undefined ? {} : { body: options.body }),
        headers: options.headers ?? {},
        connections: options.connections,
        duration: options.durationSeconds,
        // 2 cores: a worker thread would only take CPU from workerd, and one thread keeps up.
        workers: 0,
      },
      (error: unknown, result: autocannon.Result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const statusCounts: Record<string, number> = {};
        for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
          statusCounts[status] = stats.count ?? 0;
        }
        resolve({
          samples: samples.slice(0, count),
          durationSeconds: result.duration,
          statusCounts,
          errors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => {
      if (count === samples.length) {
        const grown = new Float64Array(samples.length * 2);
        grown.set(samples);
        samples = grown;
      }
      samples[count++] = responseTime;
    });
  });
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Figures over all windows of one scenario: percentiles over every sample, not averaged. */
export function summarize(runs: readonly LoadRun[]): LoadResult {
  const total = runs.reduce((n, r) => n + r.samples.length, 0);
  const sorted = new Float64Array(total);
  let offset = 0;
  for (const run of runs) {
    sorted.set(run.samples, offset);
    offset += run.samples.length;
  }
  sorted.sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  const statusCounts: Record<string, number> = {};
  for (const run of runs) {
    for (const [status, n] of Object.entries(run.statusCounts))
      statusCounts[status] = (statusCounts[status] ?? 0) + n;
  }
  const durationSeconds = Math.round(runs.reduce((s, r) => s + r.durationSeconds, 0) * 100) / 100;
  return {
    responses: total,
    durationSeconds,
    requestsPerSecond: Math.round(total / durationSeconds),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      p999: round(percentile(sorted, 99.9)),
      max: round(sorted.at(-1) ?? Number.NaN),
      mean: round(total ? sum / total : Number.NaN),
    },
    statusCounts,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    timeouts: runs.reduce((n, r) => n + r.timeouts, 0),
  };
}
