/**
 * The Worker's metrics: one Workers Analytics Engine data point per measured thing (production:
 * the `METRICS` binding, wrangler.toml `analytics_engine_datasets`), or an in-memory ring of the
 * latest points where the binding is absent (local development and tests read it there).
 *
 * Analytics Engine has no per-row delete, so a point holds no personal data: route templates,
 * regions, layers, outcomes, counts and durations; the index (AE's sampling key) is the tenant id,
 * a random UUID. Layout, fixed so the dashboard's SQL can read it (docs/grafana/nexus-edge.json):
 *   blob1 metric · blob2 region · blob3 name (route, layer, grant, provider…) · blob4 outcome
 *   double1 value (ms or 1) · double2 HTTP status (0 when none)
 */
export const METRIC_NAMES = [
  "request",
  "rate_limit_refusal",
  "token_issued",
  "token_validation",
  "db_batch",
  "webhook_delivery",
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export interface MetricPoint {
  metric: MetricName;
  region: string;
  /** Route template, rate-limit layer, grant type, credential kind, `http`… Never an id or a URL. */
  name: string;
  /** `2xx`, `refused`, `ok`, `failed`… */
  outcome: string;
  /** Milliseconds for timings, 1 for counts. */
  value: number;
  status?: number;
  tenantId?: string | undefined;
}

interface AnalyticsDataset {
  writeDataPoint(point: { indexes?: string[]; blobs?: string[]; doubles?: number[] }): void;
}

/** Points kept in memory without a binding (local runs); the oldest go first. */
const LOCAL_POINTS = 2_000;
const local: MetricPoint[] = new Array(LOCAL_POINTS);
let written = 0;
let dataset: AnalyticsDataset | undefined;
let region = "unknown";

/** The request's (or object's) binding; every request of an isolate has the same one. */
export function configureMetrics(env: { METRICS?: AnalyticsDataset | undefined; REGION?: string }): void {
  dataset = env.METRICS;
  if (env.REGION) region = env.REGION;
}

/** The isolate's region, for points recorded where no configuration is at hand (the SQL fetch). */
export const currentRegion = () => region;

/** Writes a point; never throws and never waits (AE writes are non-blocking). */
export function recordMetric(point: MetricPoint): void {
  if (dataset) {
    try {
      dataset.writeDataPoint({
        indexes: [point.tenantId ?? "none"],
        blobs: [point.metric, point.region, point.name, point.outcome],
        doubles: [point.value, point.status ?? 0],
      });
    } catch {
      // A metric is never worth failing the request over.
    }
    return;
  }
  // A ring: overwriting costs nothing per point, where shifting an array would on every request.
  local[written % LOCAL_POINTS] = point;
  written++;
}

/** The latest points written without a binding (tests, local development), oldest first. */
export function localMetricPoints(): readonly MetricPoint[] {
  if (written <= LOCAL_POINTS) return local.slice(0, written);
  const start = written % LOCAL_POINTS;
  return [...local.slice(start), ...local.slice(0, start)];
}

/** `2xx`, `4xx`, `5xx`: the error rate's outcome label. */
export const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;
