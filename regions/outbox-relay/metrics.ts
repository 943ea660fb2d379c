import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * The relay's Prometheus metrics (GET /metrics). Names follow `nexus_<service>_…`; the only
 * label besides the region is a stage or outcome: never a tenant id (cardinality, and the
 * scrape leaves the region's cluster for the operators' Prometheus).
 */
export function relayMetrics(region: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ region, service: "outbox-relay" });
  const relayed = new Counter({
    name: "nexus_outbox_relay_events_total",
    help: "Outbox events the region's JetStream acknowledged (duplicates included).",
    registers: [registry],
  });
  const duplicates = new Counter({
    name: "nexus_outbox_relay_duplicates_total",
    help: "Acknowledged as duplicates: JetStream had the Nats-Msg-Id already (a retried batch).",
    registers: [registry],
  });
  const failures = new Counter({
    name: "nexus_outbox_relay_failures_total",
    help: "Failed steps by stage (claim, publish, mark); their rows are retried.",
    labelNames: ["stage"] as const,
    registers: [registry],
  });
  const lag = new Histogram({
    name: "nexus_outbox_relay_lag_seconds",
    help: "From the outbox row's creation to JetStream's acknowledgement.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: "nexus_outbox_relay_batch_seconds",
    help: "One batch: claim, publish, acknowledgements, mark, commit.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const pending = new Gauge({
    name: "nexus_outbox_relay_pending_events",
    help: "Committed outbox rows not yet relayed (sampled).",
    registers: [registry],
  });
  const oldest = new Gauge({
    name: "nexus_outbox_relay_oldest_pending_seconds",
    help: "Age of the oldest unrelayed row (sampled); 0 when none waits.",
    registers: [registry],
  });
  const connected = new Gauge({
    name: "nexus_outbox_relay_nats_connected",
    help: "1 while the relay's NATS connection is up.",
    registers: [registry],
  });
  return { registry, relayed, duplicates, failures, lag, batchSeconds, pending, oldest, connected };
}

export type RelayMetrics = ReturnType<typeof relayMetrics>;
