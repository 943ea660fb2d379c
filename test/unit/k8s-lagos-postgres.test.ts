import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_PIPELINE, relayConnections } from "../../regions/outbox-relay/connections";
import { K8S_ROOT, type K8sObject, renderOverlay } from "../support/k8s-render";

// What the Lagos overlay promises about its database, read from the rendered objects: three
// CloudNativePG instances with a synchronous standby and one instance per node, the roles the
// migrations expect with connection limits that fit the gateway pools at the autoscaler's
// ceiling, WAL archiving and daily backups to an erasure-coded, encrypted, in-region MinIO, and
// network policies that admit only what needs each of them.

const ROOT = join(K8S_ROOT, "../..");
const NAMESPACE = "nexus";
const { objects } = renderOverlay("lagos");

function one(kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? `/${name}` : ""}, found ${found.length}`);
  return found[0] as K8sObject;
}

interface ManagedRole {
  name: string;
  ensure?: string;
  login?: boolean;
  superuser?: boolean;
  createdb?: boolean;
  createrole?: boolean;
  bypassrls?: boolean;
  connectionLimit?: number;
  passwordSecret?: { name: string };
}

interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: {
    nodeSelectorTerms: { matchExpressions: { key: string; operator: string; values: string[] }[] }[];
  };
}

interface ClusterSpec {
  instances: number;
  imageName: string;
  inheritedMetadata: { labels: Record<string, string> };
  postgresql: {
    synchronous: { method: string; number: number; dataDurability?: string };
    parameters: Record<string, string>;
  };
  superuserSecret: { name: string };
  bootstrap: {
    initdb: {
      database: string;
      secret: { name: string };
      dataChecksums: boolean;
      postInitApplicationSQL: string[];
    };
  };
  managed: { roles: ManagedRole[] };
  storage: { storageClass: string; size: string };
  walStorage: { storageClass: string; size: string };
  affinity: {
    enablePodAntiAffinity: boolean;
    podAntiAffinityType: string;
    topologyKey: string;
    nodeAffinity: NodeAffinity;
  };
  enablePDB: boolean;
  plugins: { name: string; isWALArchiver?: boolean; parameters: Record<string, string> }[];
}

interface ObjectStoreSpec {
  retentionPolicy: string;
  configuration: {
    destinationPath: string;
    endpointURL: string;
    endpointCA: { name: string };
    s3Credentials: { accessKeyId: { name: string }; secretAccessKey: { name: string } };
    wal: { encryption?: string; compression?: string };
    data: { encryption?: string; compression?: string };
  };
}

interface TenantSpec {
  configuration: { name: string };
  requestAutoCert: boolean;
  buckets: { name: string; objectLock?: boolean }[];
  users: { name: string }[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  poolsMetadata: { labels: Record<string, string> };
  pools: {
    servers: number;
    volumesPerServer: number;
    affinity: {
      nodeAffinity: NodeAffinity;
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { topologyKey: string }[] };
    };
    volumeClaimTemplate: { spec: { storageClassName: string } };
  }[];
}

interface PolicyPeer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
}
interface PolicySpec {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress?: { from?: PolicyPeer[]; ports?: { port: number | string }[] }[];
  egress?: { to?: PolicyPeer[]; ports?: { port: number | string }[] }[];
}

const cluster = one("Cluster", "nexus-pg");
const spec = cluster.spec as unknown as ClusterSpec;
const gatewayConfig: Record<string, string> =
  objects
    .filter((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("sql-gateway-config"))
    .map((o) => (o as unknown as { data: Record<string, string> }).data)[0] ?? {};
const hpa = one("HorizontalPodAutoscaler", "sql-gateway").spec as unknown as {
  maxReplicas: number;
  minReplicas: number;
};
const gateway = one("Deployment", "sql-gateway").spec as unknown as {
  strategy: { rollingUpdate: { maxSurge: number } };
};
const poolSize = Number(gatewayConfig.SQL_GATEWAY_POOL_SIZE);
/** Gateway pods at the autoscaler's ceiling, plus the one a rollout adds. */
const gatewayPods = hpa.maxReplicas + gateway.strategy.rollingUpdate.maxSurge;
const relayScaling = one("ScaledObject", "outbox-relay").spec as unknown as { maxReplicaCount: number };
const relayDeployment = one("Deployment", "outbox-relay").spec as unknown as {
  strategy: { rollingUpdate: { maxSurge: number } };
};
/** Outbox relays at KEDA's ceiling plus a rollout's one more, each with its pool and lease connection. */
const relayConnectionsAtCeiling =
  (relayScaling.maxReplicaCount + relayDeployment.strategy.rollingUpdate.maxSurge) *
  relayConnections(DEFAULT_PIPELINE);

function role(name: string): ManagedRole {
  const found = spec.managed.roles.find((r) => r.name === name);
  if (!found) throw new Error(`no managed role ${name}`);
  return found;
}

function requiredNodeValues(affinity: NodeAffinity): string[] {
  return (affinity.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []).flatMap((t) =>
    t.matchExpressions
      .filter((e) => e.key === "nexus.bac.cloud/region" && e.operator === "In")
      .flatMap((e) => e.values),
  );
}

function policyFor(app: string): PolicySpec {
  const policies = objects
    .filter((o) => o.kind === "NetworkPolicy")
    .map((o) => o.spec as unknown as PolicySpec)
    .filter((p) => p.podSelector.matchLabels?.["app.kubernetes.io/name"] === app);
  expect(policies, app).toHaveLength(1);
  return policies[0] as PolicySpec;
}

describe("Lagos Postgres: high availability", () => {
  it("runs three instances with one synchronous standby that a commit waits for", () => {
    expect(cluster.apiVersion).toBe("postgresql.cnpg.io/v1");
    expect(spec.instances).toBe(3);
    expect(spec.postgresql.synchronous.number).toBeGreaterThanOrEqual(1);
    expect(spec.postgresql.synchronous.number).toBeLessThan(spec.instances);
    // `preferred` would silently drop to asynchronous replication when standbys are missing.
    expect(spec.postgresql.synchronous.dataDurability).toBe("required");
  });

  it("places one instance per node, on Lagos nodes only, under the operator's disruption budgets", () => {
    expect(spec.affinity.enablePodAntiAffinity).toBe(true);
    expect(spec.affinity.podAntiAffinityType).toBe("required");
    expect(spec.affinity.topologyKey).toBe("kubernetes.io/hostname");
    expect(requiredNodeValues(spec.affinity.nodeAffinity)).toEqual(["lagos"]);
    expect(spec.enablePDB).toBe(true);
    expect(spec.inheritedMetadata.labels["nexus.bac.cloud/region"]).toBe("lagos");
    expect(spec.inheritedMetadata.labels["app.kubernetes.io/name"]).toBe("postgres");
  });

  it("uses a pinned CloudNativePG image with pgvector, and creates the extension before the migrations", () => {
    // The "standard" images ship pgvector; the "minimal" ones do not.
    expect(spec.imageName).toMatch(
      /^ghcr\.io\/cloudnative-pg\/postgresql:16\.\d+-standard-bookworm(@sha256:[0-9a-f]{64})?$/,
    );
    expect(spec.bootstrap.initdb.postInitApplicationSQL).toContain("CREATE EXTENSION IF NOT EXISTS vector");
    expect(spec.bootstrap.initdb.database).toBe("nexus");
    expect(spec.bootstrap.initdb.dataChecksums).toBe(true);
    expect(spec.storage.storageClass).toBe("nexus-lagos-ssd");
    expect(spec.walStorage.storageClass).toBe("nexus-lagos-ssd");
  });

  it("points the gateway at the read-write Service, which follows the primary through a failover", () => {
    expect(gatewayConfig.UPSTREAM_ADDRESS).toBe(`${cluster.metadata.name}-rw.${NAMESPACE}.svc:5432`);
  });
});

describe("Lagos Postgres: roles and connections", () => {
  it("manages nexus_app with exactly the attributes migration 0000 creates it with", () => {
    const migration = readFileSync(join(ROOT, "db/migrations/0000_app_role.sql"), "utf8");
    const created = /CREATE ROLE nexus_app ([A-Z ]+);/.exec(migration)?.[1]?.split(" ") ?? [];
    expect(created).toEqual(["LOGIN", "NOSUPERUSER", "NOCREATEDB", "NOCREATEROLE", "NOBYPASSRLS"]);
    const app = role("nexus_app");
    expect(app).toMatchObject({
      ensure: "present",
      login: true,
      superuser: false,
      createdb: false,
      createrole: false,
      bypassrls: false,
      passwordSecret: { name: "nexus-pg-app" },
    });
  });

  it("manages the gateway's health role under the name the gateway logs in with, and leaves nexus_auth to migration 0005", () => {
    const health = role(gatewayConfig.UPSTREAM_HEALTH_USER ?? "");
    expect(health).toMatchObject({
      login: true,
      superuser: false,
      passwordSecret: { name: "sql-gateway-health" },
    });
    expect(spec.managed.roles.map((r) => r.name)).not.toContain("nexus_auth");
    expect(readFileSync(join(ROOT, "db/migrations/0005_identity_access.sql"), "utf8")).toContain(
      "CREATE ROLE nexus_auth NOLOGIN",
    );
  });

  it("sizes connection limits for the gateway pools at the autoscaler's ceiling, within max_connections", () => {
    expect(poolSize).toBeGreaterThan(0);
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    expect(relayConnectionsAtCeiling).toBeGreaterThan(0);
    const app = role("nexus_app").connectionLimit ?? -1;
    const health = role("sql_gateway_health").connectionLimit ?? -1;
    // Every gateway pod may fill its nexus_app pool at once.
    expect(app).toBeGreaterThanOrEqual(gatewayPods * poolSize);
    // Health checks hold one connection per pod at a time; three leaves room for a slow one.
    expect(health).toBeGreaterThanOrEqual(gatewayPods * 3);
    const maxConnections = Number(spec.postgresql.parameters.max_connections);
    const reserved = Number(spec.postgresql.parameters.superuser_reserved_connections);
    // Migrations and operators (the superuser, through one gateway pod's pool) need room too,
    // and so do the outbox relays (their role has no limit of its own: migration 0024 makes it).
    expect(app + health + reserved + poolSize + relayConnectionsAtCeiling).toBeLessThanOrEqual(
      maxConnections,
    );
  });
});

describe("Lagos Postgres: backups that stay in Nigeria", () => {
  const store = one("ObjectStore").spec as unknown as ObjectStoreSpec;
  const storeName = one("ObjectStore").metadata.name;
  const tenant = one("Tenant");
  const tenantSpec = tenant.spec as unknown as TenantSpec;

  it("archives WAL continuously through the Barman Cloud plugin to the in-region object store", () => {
    const archivers = spec.plugins.filter((p) => p.isWALArchiver);
    expect(archivers).toHaveLength(1);
    expect(archivers[0]?.name).toBe("barman-cloud.cloudnative-pg.io");
    expect(archivers[0]?.parameters.barmanObjectName).toBe(storeName);
    // An idle database still archives often enough for the one-hour RPO.
    const timeout = /^(\d+)min$/.exec(spec.postgresql.parameters.archive_timeout ?? "");
    expect(Number(timeout?.[1])).toBeLessThanOrEqual(60);
  });

  it("takes a daily base backup of this cluster through the plugin", () => {
    const backup = one("ScheduledBackup").spec as unknown as {
      schedule: string;
      cluster: { name: string };
      method: string;
      pluginConfiguration: { name: string };
    };
    expect(backup.cluster.name).toBe(cluster.metadata.name);
    expect(backup.method).toBe("plugin");
    expect(backup.pluginConfiguration.name).toBe("barman-cloud.cloudnative-pg.io");
    // seconds minutes hours, then every day of every month, any weekday.
    expect(backup.schedule).toMatch(/^\d+ \d+ \d+ \* \* \*$/);
  });

  it("writes only to the MinIO tenant in this namespace, encrypted and compressed", () => {
    const endpoint = new URL(store.configuration.endpointURL);
    expect(endpoint.protocol).toBe("https:");
    // The tenant's S3 Service; no other endpoint anywhere in the overlay (no cross-border copy).
    expect(endpoint.hostname).toBe(`minio.${NAMESPACE}.svc`);
    const endpoints = JSON.stringify(objects).match(/https?:\/\/[a-z0-9.-]+/g) ?? [];
    for (const url of endpoints.filter((u) => !/nexus\.bac\.cloud$/.test(u))) {
      expect(url, "every endpoint is in-cluster").toMatch(/\.svc(\.cluster\.local)?$/);
    }
    const bucket = /^s3:\/\/([a-z0-9.-]+)\//.exec(store.configuration.destinationPath)?.[1];
    expect(tenantSpec.buckets.find((b) => b.name === bucket)?.objectLock).toBe(true);
    expect(store.configuration.wal.encryption).toBe("AES256");
    expect(store.configuration.data.encryption).toBe("AES256");
    expect(store.configuration.wal.compression).toBeTruthy();
    // The plugin's credentials are the tenant user's own Secret.
    expect(tenantSpec.users.map((u) => u.name)).toContain(store.configuration.s3Credentials.accessKeyId.name);
    expect(store.configuration.s3Credentials.secretAccessKey.name).toBe(
      store.configuration.s3Credentials.accessKeyId.name,
    );
  });

  it("keeps thirty days of point-in-time recovery, the window in which an erasure reaches the backups", () => {
    expect(store.retentionPolicy).toBe("30d");
  });

  it("stores every object as 4 data + 2 parity shards on six servers, one per Lagos node", () => {
    expect(tenant.apiVersion).toBe("minio.min.io/v2");
    const drives = tenantSpec.pools.reduce((sum, pool) => sum + pool.servers * pool.volumesPerServer, 0);
    const parity = Number(
      /^EC:(\d+)$/.exec(
        tenantSpec.env.find((e) => e.name === "MINIO_STORAGE_CLASS_STANDARD")?.value ?? "",
      )?.[1],
    );
    expect(drives).toBe(6);
    expect(parity).toBe(2);
    expect(drives - parity).toBe(4);
    for (const pool of tenantSpec.pools) {
      expect(requiredNodeValues(pool.affinity.nodeAffinity)).toEqual(["lagos"]);
      expect(
        pool.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]?.topologyKey,
      ).toBe("kubernetes.io/hostname");
      expect(pool.volumeClaimTemplate.spec.storageClassName).toMatch(/^nexus-lagos-/);
    }
    expect(tenantSpec.poolsMetadata.labels["app.kubernetes.io/name"]).toBe("minio");
  });

  it("encrypts at rest with a key from a Secret in this cluster, and serves S3 over TLS", () => {
    const kms = tenantSpec.env.find((e) => e.name === "MINIO_KMS_SECRET_KEY");
    expect(kms?.value).toBeUndefined();
    expect(kms?.valueFrom?.secretKeyRef?.name).toBe("minio-kms");
    expect(tenantSpec.env.find((e) => e.name === "MINIO_KMS_AUTO_ENCRYPTION")?.value).toBe("on");
    expect(tenantSpec.requestAutoCert).toBe(true);
  });
});

describe("Lagos Postgres: network policies", () => {
  const peerApps = (peers: PolicyPeer[] | undefined) =>
    (peers ?? []).map((p) =>
      p.namespaceSelector
        ? `ns:${p.namespaceSelector.matchLabels?.["kubernetes.io/metadata.name"]}`
        : `app:${p.podSelector?.matchLabels?.["app.kubernetes.io/name"]}`,
    );

  it("admits to Postgres only the gateway, the outbox relay, the SAML bridge, the other instances and the operator", () => {
    const policy = policyFor("postgres");
    expect(policy.policyTypes).toEqual(["Ingress", "Egress"]);
    const rules = (policy.ingress ?? []).map((rule) => ({
      from: peerApps(rule.from).sort(),
      ports: rule.ports?.map((p) => p.port),
    }));
    expect(rules).toEqual([
      { from: ["app:outbox-relay", "app:postgres", "app:saml-bridge", "app:sql-gateway"], ports: [5432] },
      { from: ["ns:cnpg-system"], ports: [8000] },
    ]);
  });

  it("admits to MinIO only Postgres, its own servers and its operator", () => {
    const policy = policyFor("minio");
    expect(policy.policyTypes).toEqual(["Ingress", "Egress"]);
    const from = (policy.ingress ?? []).flatMap((rule) => peerApps(rule.from)).sort();
    expect(from).toEqual(["app:minio", "app:postgres", "ns:minio-operator"]);
    expect((policy.ingress ?? []).flatMap((rule) => rule.ports?.map((p) => p.port))).toEqual([9000]);
  });

  it("lets Postgres out to its replicas and MinIO only, besides DNS and the API server", () => {
    const egress = policyFor("postgres").egress ?? [];
    const apps = egress.flatMap((rule) => peerApps(rule.to)).sort();
    expect(apps).toEqual(["app:minio", "app:postgres", "ns:kube-system"]);
  });
});

describe("Lagos Postgres: secrets", () => {
  it("documents in the README every Secret the operators' objects read", () => {
    const readme = readFileSync(join(K8S_ROOT, "README.md"), "utf8");
    const section = readme.split(/^## /m).find((part) => part.startsWith("Secrets")) ?? "";
    const documented = [...section.matchAll(/^\| `([a-z0-9-]+)`/gm)].map((m) => m[1]);
    const store = one("ObjectStore").spec as unknown as ObjectStoreSpec;
    const tenantSpec = one("Tenant").spec as unknown as TenantSpec;
    const used = [
      spec.superuserSecret.name,
      spec.bootstrap.initdb.secret.name,
      ...spec.managed.roles.flatMap((r) => (r.passwordSecret ? [r.passwordSecret.name] : [])),
      store.configuration.endpointCA.name,
      store.configuration.s3Credentials.accessKeyId.name,
      tenantSpec.configuration.name,
      ...tenantSpec.env.flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
    ];
    for (const name of used) expect(documented, name).toContain(name);
  });
});
