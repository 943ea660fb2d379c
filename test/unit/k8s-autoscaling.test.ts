import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { metricsServer } from "../../regions/outbox-relay/http";
import { relayMetrics } from "../../regions/outbox-relay/metrics";
import { REGION_IDS } from "../../regions/registry";
import { gatewayMetrics, outcomeOf } from "../../regions/sql-gateway/metrics";
import { K8S_ROOT, type K8sObject, renderOverlay } from "../support/k8s-render";

// The regional services' availability promises, read from each rendered overlay: every Deployment
// runs 2 to 20 pods under exactly one autoscaler (an HPA, or KEDA's ScaledObject where a backlog
// is the signal), one voluntary disruption at a time, with readiness on its dependencies and a
// drain on shutdown; and the autoscalers' signals are series the services really export.

interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
}
interface Container {
  name: string;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}
interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  strategy?: { type: string; rollingUpdate?: { maxSurge?: number; maxUnavailable?: number } };
  template: {
    metadata: { labels: Record<string, string> };
    spec: { terminationGracePeriodSeconds?: number; containers: Container[] };
  };
}
interface HpaSpec {
  scaleTargetRef: { kind: string; name: string };
  minReplicas: number;
  maxReplicas: number;
  metrics: {
    type: string;
    resource?: { name: string };
    pods?: { metric: { name: string }; target: { type: string; averageValue: string } };
  }[];
}
interface ScaledObjectSpec {
  scaleTargetRef: { kind?: string; name: string };
  minReplicaCount: number;
  maxReplicaCount: number;
  fallback?: { failureThreshold: number; replicas: number };
  triggers: { type: string; metricType?: string; metadata: Record<string, string> }[];
}
interface AdapterRule {
  seriesQuery: string;
  resources: { overrides: Record<string, { resource: string }> };
  name: { matches: string; as: string };
  metricsQuery: string;
}

const spec = <T>(object: K8sObject) => object.spec as unknown as T;
const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

/** The rules regions/k8s/monitoring hands prometheus-adapter. */
const adapterRules: AdapterRule[] = (() => {
  const [configMap] = parseAllDocuments(
    readFileSync(join(K8S_ROOT, "monitoring/prometheus-adapter-config.yaml"), "utf8"),
  ).map((d) => d.toJS() as { data: Record<string, string> });
  return (parse(configMap?.data["config.yaml"] ?? "") as { rules: AdapterRule[] }).rules;
})();

/** Metric names a prom-client registry exposes (histograms with their _bucket/_sum/_count series). */
async function exposedSeries(text: Promise<string>): Promise<Set<string>> {
  const names = (await text)
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split(/[{ ]/)[0] as string);
  return new Set(names);
}

describe.each(REGION_IDS)("k8s autoscaling: the %s overlay", (region) => {
  const { objects } = renderOverlay(region);
  const deployments = byKind(objects, "Deployment");
  const hpas = byKind(objects, "HorizontalPodAutoscaler").map((o) => spec<HpaSpec>(o));
  const scaled = byKind(objects, "ScaledObject").map((o) => spec<ScaledObjectSpec>(o));

  it("runs every Deployment at 2 to 20 pods under exactly one autoscaler, one disruption at a time", () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
      "outbox-relay",
      "saml-bridge",
      "sql-gateway",
    ]);
    for (const deployment of deployments) {
      const name = deployment.metadata.name;
      const d = spec<DeploymentSpec>(deployment);
      // The autoscaler owns the count: a replicas field would reset it on every apply.
      expect(d.replicas, name).toBeUndefined();
      const byHpa = hpas.filter(
        (h) => h.scaleTargetRef.kind === "Deployment" && h.scaleTargetRef.name === name,
      );
      const byKeda = scaled.filter(
        (s) => (s.scaleTargetRef.kind ?? "Deployment") === "Deployment" && s.scaleTargetRef.name === name,
      );
      expect(byHpa.length + byKeda.length, name).toBe(1);
      const [min, max] = byHpa[0]
        ? [byHpa[0].minReplicas, byHpa[0].maxReplicas]
        : [byKeda[0]?.minReplicaCount, byKeda[0]?.maxReplicaCount];
      expect([min, max], name).toEqual([2, 20]);
      // A rollout adds a pod before it removes one.
      expect(d.strategy?.type, name).toBe("RollingUpdate");
      expect(d.strategy?.rollingUpdate?.maxUnavailable, name).toBe(0);
      const budgets = byKind(objects, "PodDisruptionBudget")
        .map((o) => spec<{ maxUnavailable?: number; selector: { matchLabels: Record<string, string> } }>(o))
        .filter((pdb) =>
          Object.entries(pdb.selector.matchLabels).every(([k, v]) => d.template.metadata.labels[k] === v),
        );
      expect(
        budgets.map((b) => b.maxUnavailable),
        name,
      ).toEqual([1]);
    }
  });

  it("checks each service's dependencies for readiness, not for liveness, and drains it on shutdown", () => {
    const containers = new Map(
      deployments.map((d) => [d.metadata.name, spec<DeploymentSpec>(d).template.spec] as const),
    );
    const gateway = containers.get("sql-gateway");
    const relay = containers.get("outbox-relay");
    // The gateway's /health runs `select 1`; the relay's /ready needs NATS and its Postgres lease.
    expect(gateway?.containers[0]?.readinessProbe?.httpGet?.path).toBe("/health");
    expect(gateway?.containers[0]?.livenessProbe?.tcpSocket).toBeDefined();
    expect(relay?.containers[0]?.readinessProbe?.httpGet?.path).toBe("/ready");
    expect(relay?.containers[0]?.livenessProbe?.httpGet?.path).toBe("/health");
    // Traffic reaches the gateway through Services: the endpoint removal must spread before
    // SIGTERM, and the whole close (5 s grace, 10 s forced exit) fits the grace period.
    const preStop = gateway?.containers[0]?.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(preStop).toBeGreaterThan(0);
    expect(gateway?.terminationGracePeriodSeconds ?? 30).toBeGreaterThanOrEqual(preStop + 10);
    // The relay's close (batches acknowledged, then its partitions released) is forced at 15 s.
    expect(relay?.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(15);
  });

  it("scales the SQL gateway on CPU and on its p95 latency, a Pods metric prometheus-adapter makes from its histogram", async () => {
    const hpa = hpas.find((h) => h.scaleTargetRef.name === "sql-gateway") as HpaSpec;
    expect(hpa.metrics.map((m) => m.resource?.name)).toContain("cpu");
    const latency = hpa.metrics.find((m) => m.type === "Pods")?.pods;
    expect(latency?.target.type).toBe("AverageValue");
    expect(latency?.target.averageValue).toMatch(/^\d+m$/);
    const rule = adapterRules.find((r) => r.name.as === latency?.metric.name);
    expect(rule, "no prometheus-adapter rule makes the HPA's metric").toBeDefined();
    // Per pod: the rule maps the pod and namespace labels to those resources.
    expect(rule?.resources.overrides).toEqual({
      namespace: { resource: "namespace" },
      pod: { resource: "pod" },
    });
    // The series the rule reads is one the gateway exports, and its label filter names a real outcome.
    const metrics = gatewayMetrics("lagos");
    metrics.requestSeconds.observe({ kind: "batch", outcome: outcomeOf(200) }, 0.01);
    const series = await exposedSeries(metrics.registry.metrics());
    const seriesName = /^([a-z_]+)\{/.exec(rule?.seriesQuery ?? "")?.[1] ?? "";
    expect(series).toContain(seriesName);
    expect(new RegExp(rule?.name.matches ?? "^$").test(seriesName)).toBe(true);
    expect(rule?.metricsQuery).toMatch(/histogram_quantile\(0\.95,/);
    expect(rule?.metricsQuery).toContain(`outcome!="${outcomeOf(400)}"`);
  });

  it("scales the outbox relay with KEDA on the backlog the relays report", async () => {
    const relay = scaled.find((s) => s.scaleTargetRef.name === "outbox-relay") as ScaledObjectSpec;
    const series = await exposedSeries(relayMetrics(region).registry.metrics());
    expect(relay.triggers.length).toBeGreaterThan(0);
    for (const trigger of relay.triggers) {
      expect(trigger.type).toBe("prometheus");
      expect(trigger.metricType).toBe("AverageValue");
      expect(Number(trigger.metadata.threshold)).toBeGreaterThan(0);
      // In-cluster Prometheus, never one outside the region.
      expect(new URL(trigger.metadata.serverAddress ?? "").hostname).toMatch(/\.monitoring\.svc$/);
      const used = /([a-z_]+)\{namespace="nexus"\}/.exec(trigger.metadata.query ?? "")?.[1];
      expect(series, trigger.metadata.query).toContain(used);
    }
    expect(relay.triggers.map((t) => /[a-z_]+(?=\{)/.exec(t.metadata.query ?? "")?.[0]).sort()).toEqual([
      "nexus_outbox_relay_oldest_pending_seconds",
      "nexus_outbox_relay_pending_events",
    ]);
    // Prometheus away: a fixed count between the bounds, not a frozen or collapsed one.
    expect(relay.fallback?.replicas).toBeGreaterThanOrEqual(relay.minReplicaCount);
    expect(relay.fallback?.replicas).toBeLessThanOrEqual(relay.maxReplicaCount);
  });
});

describe("the outbox relay's readiness endpoint", () => {
  it("answers 503 while a dependency is away and 200 once it is back; /health stays 200", async () => {
    let ready = false;
    const server = metricsServer(relayMetrics("lagos").registry, () => ready);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/ready`)).status).toBe(503);
      expect((await fetch(`${base}/health`)).status).toBe(200);
      ready = true;
      expect((await fetch(`${base}/ready`)).status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
