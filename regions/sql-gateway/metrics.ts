import { Counter, Histogram, Registry } from "prom-client";

/**
 * The gateway's Prometheus metrics (GET /metrics, cluster-internal: the public routes are exact
 * paths), named like the relay's: per request kind and outcome; never a role, a tenant, a database
 * or a statement (cardinality, and the scrape leaves the region's cluster for the operators'
 * Prometheus). `request_duration_seconds` is also the autoscaler's latency signal through
 * prometheus-adapter (regions/k8s/monitoring).
 */
export function gatewayMetrics(region: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ region, service: "sql-gateway" });
  const requests = new Counter({
    name: "nexus_sql_gateway_requests_total",
    help: "SQL-over-HTTP requests by kind (single, batch) and outcome (ok, postgres_error, unavailable, refused).",
    labelNames: ["kind", "outcome"] as const,
    registers: [registry],
  });
  const seconds = new Histogram({
    name: "nexus_sql_gateway_request_seconds",
    help: "One SQL-over-HTTP request: waiting for a pooled connection, Postgres, the answer.",
    labelNames: ["kind"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const statements = new Counter({
    name: "nexus_sql_gateway_statements_total",
    help: "Statements run, and how many carried a trace comment (run unnamed: no prepared statement).",
    labelNames: ["traced"] as const,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: "nexus_sql_gateway_request_duration_seconds",
    help: "POST /sql from arrival to the last byte of the answer, by request kind (query, batch, read) and outcome.",
    labelNames: ["kind", "outcome"] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const reads = new Counter({
    name: "nexus_sql_gateway_marked_reads_total",
    help: "Requests marked Nexus-Read-Replica, by the server that answered them.",
    labelNames: ["served_by"] as const,
    registers: [registry],
  });
  return { registry, requests, seconds, statements, requestSeconds, reads };
}

export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;

/** The outcome label of a failed request, from its HTTP status and SQLSTATE. */
export function failureOutcome(status: number): "postgres_error" | "unavailable" | "refused" {
  if (status === 503) return "unavailable";
  return status === 400 ? "postgres_error" : "refused";
}

export type RequestKind = "query" | "batch" | "read";

/** The outcome label from the status: what an alert or the autoscaler tells apart. */
export function outcomeOf(status: number): "ok" | "client_error" | "unavailable" | "error" {
  if (status < 400) return "ok";
  if (status === 503 || status === 504) return "unavailable";
  return status < 500 ? "client_error" : "error";
}
