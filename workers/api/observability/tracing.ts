import { otlpSender, Tracing } from "../../../regions/lib/telemetry/tracing";

/** The part of the Worker's Config (env.ts) tracing reads; db/ reaches here from Node too. */
interface TracingConfig {
  region: string;
  environment: string;
  traces: { endpoint: string | undefined; headers: Record<string, string> };
}

/**
 * The isolate's tracing. One instance per isolate (spans of concurrent requests are told apart
 * by their context); the collector and the ratio come from the deployment's configuration,
 * which every request of an isolate shares, and are taken from each request (`configureTracing`).
 */
let target:
  | { endpoint: string; headers: Record<string, string>; region: string; environment: string }
  | undefined;

export const workerTracing = new Tracing({
  resource: () => ({
    "service.name": "nexus-api",
    "nexus.region": target?.region ?? "unknown",
    "deployment.environment.name": target?.environment ?? "unknown",
  }),
  send: (body) => (target ? otlpSender(target.endpoint, target.headers)(body) : Promise.resolve()),
});

/** Whether this deployment traces (a collector is configured); remembers where spans go. */
export function configureTracing(config: TracingConfig): boolean {
  const { endpoint, headers } = config.traces;
  if (!endpoint) return false;
  if (target?.endpoint !== endpoint || target.region !== config.region) {
    target = { endpoint, headers, region: config.region, environment: config.environment };
  }
  return true;
}

/** Whether a span is active: outside one (tracing off, or no request) nothing is recorded. */
export function tracingActive(): boolean {
  return workerTracing.logIds().trace_id !== undefined;
}
