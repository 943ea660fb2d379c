import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { REGION_IDS, REGIONS, type RegionId } from "../../regions/registry";
import { hasKubectl, kustomizeMajor } from "../support/k8s-render";

// Invariants of regions/k8s that matter in production, checked without a cluster or kubectl:
// the pod security settings, probes and resources of every workload, that every file a
// kustomization names exists, that no secret value is committed, and that each overlay serves
// exactly the hostnames wrangler.toml's env for that region calls.

const ROOT = resolve(import.meta.dirname, "../..");
const K8S = join(ROOT, "regions/k8s");
const NAMESPACE = "nexus";
const REGION_LABEL = "nexus.bac.cloud/region";

// ─── the parts of Kubernetes objects these checks read ───────────────────────────────────────

type Labels = Record<string, string>;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels; annotations?: Labels };
  spec?: unknown;
  data?: Record<string, unknown>;
  stringData?: Record<string, unknown>;
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
  exec?: { command: string[] };
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string };
    secretKeyRef?: { name: string; key: string };
  };
}

interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  resources?: { requests?: Labels; limits?: Labels };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}

interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: {
    nodeSelectorTerms: { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[];
  };
}

interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext;
  volumes?: { name: string; secret?: { secretName: string }; configMap?: { name: string } }[];
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  affinity?: { nodeAffinity?: NodeAffinity };
}

interface WorkloadSpec {
  replicas?: number;
  serviceName?: string;
  selector: { matchLabels: Labels };
  template: { metadata: { labels: Labels }; spec: PodSpec };
  volumeClaimTemplates?: {
    metadata: { name: string };
    spec: { accessModes: string[]; storageClassName?: string; resources: { requests: { storage: string } } };
  }[];
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
}

interface ServiceSpec {
  clusterIP?: string;
  selector: Labels;
  ports: { name?: string; port: number; targetPort?: string | number }[];
}

interface PdbSpec {
  maxUnavailable?: number | string;
  minAvailable?: number | string;
  selector: { matchLabels: Labels };
}

interface HpaSpec {
  scaleTargetRef: { apiVersion: string; kind: string; name: string };
  minReplicas: number;
  maxReplicas: number;
  metrics: { type: string; resource?: { name: string } }[];
}

interface NetworkPolicyPeer {
  podSelector?: { matchLabels?: Labels };
  namespaceSelector?: { matchLabels?: Labels };
  ipBlock?: { cidr: string; except?: string[] };
}

interface NetworkPolicyRule {
  from?: NetworkPolicyPeer[];
  to?: NetworkPolicyPeer[];
  ports?: { port: number | string; protocol?: string }[];
}

interface NetworkPolicySpec {
  podSelector: { matchLabels?: Labels };
  policyTypes: string[];
  ingress?: NetworkPolicyRule[];
  egress?: NetworkPolicyRule[];
}

interface GatewaySpec {
  gatewayClassName: string;
  listeners: {
    name: string;
    hostname?: string;
    protocol: string;
    port: number;
    tls?: { mode?: string; certificateRefs?: { name: string }[] };
  }[];
}

interface HttpRouteSpec {
  parentRefs: { name: string; sectionName?: string }[];
  hostnames: string[];
  rules: {
    matches?: { path?: { type: string; value: string }; method?: string }[];
    backendRefs?: { name: string; port: number }[];
    timeouts?: { request?: string };
  }[];
}

interface Generator {
  name: string;
  behavior?: "create" | "merge" | "replace";
  literals?: string[];
  files?: string[];
  envs?: string[];
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  patches?: { path?: string }[];
  labels?: { pairs: Labels; includeSelectors?: boolean; includeTemplates?: boolean }[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
}

function specOf<T>(object: K8sObject): T {
  if (object.spec === undefined) throw new Error(`${object.kind}/${object.metadata.name} has no spec`);
  return object.spec as T;
}

// ─── loading ─────────────────────────────────────────────────────────────────────────────────

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const yamlFiles = filesUnder(K8S).filter((file) => /\.ya?ml$/.test(file));

function parseYaml(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(file, "utf8"));
  return documents.map((document) => {
    if (document.errors.length > 0) {
      throw new Error(`${relative(ROOT, file)}: ${document.errors.map((e) => e.message).join("; ")}`);
    }
    return document.toJS() as unknown;
  });
}

function loadObjects(file: string): K8sObject[] {
  return parseYaml(file).filter((doc): doc is K8sObject => doc !== null && doc !== undefined);
}

function readKustomization(dir: string): Kustomization {
  const [doc] = parseYaml(join(dir, "kustomization.yaml"));
  return doc as Kustomization;
}

/** A kustomization and, first, every kustomization it builds on: base before overlay. */
interface Layer {
  dir: string;
  kustomization: Kustomization;
  /** Complete objects from `resources` files. */
  objects: K8sObject[];
  /** Partial objects from `patches`. */
  patches: K8sObject[];
}

function layersOf(dir: string): Layer[] {
  const kustomization = readKustomization(dir);
  const layers: Layer[] = [];
  const objects: K8sObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = resolve(dir, resource);
    // Reported by the "finds every … file" test rather than failing the whole file here.
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) layers.push(...layersOf(path));
    else objects.push(...loadObjects(path));
  }
  const patches = (kustomization.patches ?? []).flatMap((patch) =>
    patch.path && existsSync(resolve(dir, patch.path)) ? loadObjects(resolve(dir, patch.path)) : [],
  );
  layers.push({ dir, kustomization, objects, patches });
  return layers;
}

/** What a kustomization build produces, as far as these checks need it. */
interface Build {
  layers: Layer[];
  objects: K8sObject[];
  patches: K8sObject[];
  /** configMapGenerator output by name, base values merged with the overlays'. */
  configMaps: Map<string, Map<string, string>>;
}

function build(dir: string): Build {
  const layers = layersOf(dir);
  const configMaps = new Map<string, Map<string, string>>();
  for (const layer of layers) {
    for (const generator of layer.kustomization.configMapGenerator ?? []) {
      const values =
        generator.behavior === "merge"
          ? (configMaps.get(generator.name) ?? new Map<string, string>())
          : new Map<string, string>();
      for (const literal of generator.literals ?? []) {
        const at = literal.indexOf("=");
        values.set(literal.slice(0, at), literal.slice(at + 1));
      }
      for (const file of generator.files ?? []) values.set(basename(file), "(file)");
      configMaps.set(generator.name, values);
    }
  }
  return {
    layers,
    objects: layers.flatMap((layer) => layer.objects),
    patches: layers.flatMap((layer) => layer.patches),
    configMaps,
  };
}

const BASE = join(K8S, "base");
const MONITORING = join(K8S, "monitoring");
const OVERLAYS = join(K8S, "overlays");
const overlayNames = readdirSync(OVERLAYS).filter((entry) => statSync(join(OVERLAYS, entry)).isDirectory());
const builds = new Map(overlayNames.map((name) => [name, build(join(OVERLAYS, name))]));
const kustomizationDirs = yamlFiles
  .filter((file) => basename(file) === "kustomization.yaml")
  .map((file) => resolve(file, ".."));

function buildOf(region: RegionId): Build {
  const result = builds.get(region);
  if (!result) throw new Error(`no overlay for region ${region}`);
  return result;
}

function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

function one(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = find(objects, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0] as K8sObject;
}

/** Every Deployment and StatefulSet of every overlay, once each (by file and name). */
const workloads = [
  ...new Map(
    [...builds.values()]
      .flatMap((b) => b.objects)
      .filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet")
      .map((o) => [`${o.kind}/${o.metadata.name}/${JSON.stringify(o.spec)}`, o] as const),
  ).values(),
];

// ─── wrangler.toml: only the known `KEY = "value"` lines of an env's vars are needed ─────────

function wranglerVars(env: string): Record<string, string> {
  const text = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const header = `[env.${env}.vars]`;
  const start = text.indexOf(header);
  if (start < 0) throw new Error(`wrangler.toml has no ${header}`);
  const rest = text.slice(start + header.length);
  const next = rest.search(/^\[/m);
  const section = next < 0 ? rest : rest.slice(0, next);
  const vars: Record<string, string> = {};
  for (const match of section.matchAll(/^([A-Z0-9_]+)\s*=\s*(?:"([^"]*)"|'([^']*)')\s*$/gm)) {
    vars[match[1] as string] = match[2] ?? match[3] ?? "";
  }
  return vars;
}

// ─── small helpers ───────────────────────────────────────────────────────────────────────────

const QUANTITY_SUFFIX: Record<string, number> = {
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

function quantity(value: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|Ki|Mi|Gi|Ti)?$/.exec(value ?? "");
  if (!match) throw new Error(`not a Kubernetes quantity: ${value}`);
  return Number(match[1]) * (QUANTITY_SUFFIX[match[2] ?? ""] ?? Number.NaN);
}

function podContainers(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

function requiredNodeValues(affinity: NodeAffinity | undefined, key: string): string[] {
  const terms = affinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return terms.flatMap((term) =>
    (term.matchExpressions ?? [])
      .filter((e) => e.key === key && e.operator === "In")
      .flatMap((e) => e.values ?? []),
  );
}

function selects(selector: Labels | undefined, labels: Labels): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
}

/** NetworkPolicies written for one app (not the namespace-wide default-deny). */
function policiesFor(objects: K8sObject[], app: string): NetworkPolicySpec[] {
  return find(objects, "NetworkPolicy")
    .map((p) => specOf<NetworkPolicySpec>(p))
    .filter((p) => p.podSelector.matchLabels?.["app.kubernetes.io/name"] === app);
}

function hostPort(address: string): { host: string; port: number } {
  const match = /^([a-z0-9.-]+):(\d+)$/.exec(address);
  if (!match) throw new Error(`UPSTREAM_ADDRESS must be host:port, got ${JSON.stringify(address)}`);
  return { host: match[1] as string, port: Number(match[2]) };
}

function portsAllowed(rules: NetworkPolicyRule[] | undefined): (number | string)[] {
  return (rules ?? []).flatMap((rule) => (rule.ports ?? []).map((p) => p.port));
}

/** Secret names listed in the README's "Secrets" table. */
function documentedSecrets(): string[] {
  const readme = readFileSync(join(K8S, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((part) => part.startsWith("Secrets")) ?? "";
  return [...section.matchAll(/^\| `([a-z0-9-]+)`/gm)].map((m) => m[1] as string);
}

// ─── files ───────────────────────────────────────────────────────────────────────────────────

describe("k8s manifests: files", () => {
  it("parses every YAML document, each a named object", () => {
    expect(yamlFiles.length).toBeGreaterThan(10);
    for (const file of yamlFiles) {
      if (basename(file) === "kustomization.yaml") continue;
      const objects = loadObjects(file);
      expect(objects.length, relative(ROOT, file)).toBeGreaterThan(0);
      for (const object of objects) {
        expect(object.apiVersion, relative(ROOT, file)).toBeTruthy();
        expect(object.kind, relative(ROOT, file)).toBeTruthy();
        expect(object.metadata?.name, relative(ROOT, file)).toBeTruthy();
      }
    }
  });

  it("finds every resource, patch and generator file a kustomization names", () => {
    for (const dir of kustomizationDirs) {
      const k = readKustomization(dir);
      const named = [
        ...(k.resources ?? []),
        ...(k.patches ?? []).flatMap((p) => (p.path ? [p.path] : [])),
        ...[...(k.configMapGenerator ?? []), ...(k.secretGenerator ?? [])].flatMap((g) => [
          ...(g.files ?? []).map((f) => f.replace(/^[^=]+=/, "")),
          ...(g.envs ?? []),
        ]),
      ];
      for (const entry of named) {
        const path = resolve(dir, entry);
        expect(existsSync(path), `${relative(ROOT, dir)}: ${entry}`).toBe(true);
        if (statSync(path).isDirectory()) {
          expect(existsSync(join(path, "kustomization.yaml")), `${entry} is not a kustomization`).toBe(true);
        }
      }
    }
  });

  it("leaves no manifest unreferenced (it would silently never be applied)", () => {
    const referenced = new Set<string>();
    for (const dir of kustomizationDirs) {
      const k = readKustomization(dir);
      referenced.add(join(dir, "kustomization.yaml"));
      for (const entry of [...(k.resources ?? []), ...(k.patches ?? []).map((p) => p.path ?? "")]) {
        referenced.add(resolve(dir, entry));
      }
      for (const g of k.configMapGenerator ?? []) {
        for (const f of g.files ?? []) referenced.add(resolve(dir, f.replace(/^[^=]+=/, "")));
      }
    }
    const unreferenced = filesUnder(K8S)
      .filter((file) => !file.endsWith(".md") && !referenced.has(file))
      .map((file) => relative(ROOT, file));
    expect(unreferenced).toEqual([]);
  });

  it("puts everything in the nexus namespace, which enforces the restricted pod security profile", () => {
    for (const dir of kustomizationDirs) {
      // The monitoring rules belong to the cluster's monitoring namespace, and hold no workload.
      if (dir === MONITORING) continue;
      expect(readKustomization(dir).namespace, relative(ROOT, dir)).toBe(NAMESPACE);
    }
    expect(readKustomization(MONITORING).namespace).toBe("monitoring");
    expect(new Set(build(MONITORING).objects.map((o) => o.kind))).toEqual(new Set(["ConfigMap"]));
    for (const b of builds.values()) {
      for (const object of b.objects) expect(object.metadata.namespace ?? NAMESPACE).toBe(NAMESPACE);
    }
    const namespace = one(build(BASE).objects, "Namespace", NAMESPACE);
    expect(namespace.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("keeps the common app.kubernetes.io labels, never on selectors", () => {
    for (const dir of kustomizationDirs) {
      const labels = readKustomization(dir).labels ?? [];
      const pairs = Object.assign({}, ...labels.map((l) => l.pairs)) as Labels;
      expect(pairs["app.kubernetes.io/part-of"], relative(ROOT, dir)).toBe("nexus-edge");
      expect(pairs["app.kubernetes.io/managed-by"], relative(ROOT, dir)).toBe("kustomize");
      for (const label of labels) {
        expect(label.includeSelectors, relative(ROOT, dir)).toBe(false);
        expect(label.includeTemplates, relative(ROOT, dir)).toBe(true);
      }
    }
    for (const workload of workloads) {
      const spec = specOf<WorkloadSpec>(workload);
      expect(Object.keys(spec.selector.matchLabels)).toEqual(["app.kubernetes.io/name"]);
      expect(spec.template.metadata.labels["app.kubernetes.io/name"]).toBe(workload.metadata.name);
    }
  });
});

// ─── secrets ─────────────────────────────────────────────────────────────────────────────────

describe("k8s manifests: secrets", () => {
  it("commits no Secret with data and generates none (they are created out of band)", () => {
    for (const file of yamlFiles) {
      for (const object of loadObjects(file).filter((o) => o.kind === "Secret")) {
        expect(object.data ?? {}, relative(ROOT, file)).toEqual({});
        expect(object.stringData ?? {}, relative(ROOT, file)).toEqual({});
      }
    }
    for (const dir of kustomizationDirs) {
      expect(readKustomization(dir).secretGenerator, relative(ROOT, dir)).toBeUndefined();
    }
  });

  it("holds no password in a connection string: only $(VAR) references and <placeholders>", () => {
    for (const file of filesUnder(K8S)) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/postgres(?:ql)?:\/\/[^\s:/@]+:([^\s@]+)@/g)) {
        expect(match[1], `${relative(ROOT, file)}: ${match[0]}`).toMatch(/^(\$\([A-Z_]+\)|<[a-z ]+>)$/);
      }
    }
  });

  it("documents every Secret a workload reads in the README", () => {
    const documented = documentedSecrets();
    expect(documented.length).toBeGreaterThan(0);
    for (const workload of workloads) {
      const pod = specOf<WorkloadSpec>(workload).template.spec;
      const used = [
        ...(pod.volumes ?? []).flatMap((v) => (v.secret ? [v.secret.secretName] : [])),
        ...podContainers(pod).flatMap((c) =>
          (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
        ),
      ];
      for (const name of used) expect(documented, `${workload.metadata.name} reads ${name}`).toContain(name);
    }
  });
});

// ─── workloads ───────────────────────────────────────────────────────────────────────────────

describe.each(workloads.map((w) => [`${w.kind}/${w.metadata.name}`, w] as const))(
  "k8s manifests: %s",
  (_, workload) => {
    const spec = specOf<WorkloadSpec>(workload);
    const pod = spec.template.spec;
    const containers = podContainers(pod);

    it("sizes every container: requests and limits for cpu and memory", () => {
      for (const c of containers) {
        for (const resource of ["cpu", "memory"]) {
          const request = quantity(c.resources?.requests?.[resource]);
          const limit = quantity(c.resources?.limits?.[resource]);
          expect(limit, `${c.name} ${resource}`).toBeGreaterThanOrEqual(request);
        }
      }
    });

    it("probes readiness and liveness of every container", () => {
      for (const c of pod.containers) {
        expect(c.readinessProbe, c.name).toBeDefined();
        expect(c.livenessProbe, c.name).toBeDefined();
      }
    });

    it("runs as non-root, read-only, without privilege escalation or capabilities, under seccomp", () => {
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      for (const c of containers) {
        const sc = c.securityContext ?? {};
        expect(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, c.name).toBe(true);
        expect(sc.readOnlyRootFilesystem, c.name).toBe(true);
        expect(sc.allowPrivilegeEscalation, c.name).toBe(false);
        expect(sc.privileged ?? false, c.name).toBe(false);
        expect(sc.capabilities?.drop, c.name).toContain("ALL");
        expect(sc.capabilities?.add ?? [], c.name).toEqual([]);
        expect((sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type, c.name).toBe(
          "RuntimeDefault",
        );
      }
    });

    it("mounts no service account token and injects no service links", () => {
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.enableServiceLinks).toBe(false);
    });

    it("mounts only declared volumes", () => {
      const declared = new Set([
        ...(pod.volumes ?? []).map((v) => v.name),
        ...(spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name),
      ]);
      for (const c of containers) {
        for (const mount of c.volumeMounts ?? [])
          expect(declared, `${c.name}: ${mount.name}`).toContain(mount.name);
      }
    });

    it("pins its image: a tag or digest, never latest", () => {
      const images = build(BASE).layers.flatMap((l) => l.kustomization.images ?? []);
      for (const c of containers) {
        const set = images.find((image) => image.name === c.image);
        const ref = set
          ? `${set.newName ?? set.name}${set.digest ? `@${set.digest}` : `:${set.newTag}`}`
          : c.image;
        expect(ref, c.name).toMatch(/(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$/);
        expect(ref, c.name).not.toMatch(/:latest$/);
      }
    });

    it("expands $(VAR) only from variables declared before it", () => {
      for (const c of containers) {
        const declared = new Set<string>();
        for (const env of c.env ?? []) {
          for (const ref of (env.value ?? "").matchAll(/\$\(([A-Z0-9_]+)\)/g)) {
            expect(declared, `${c.name}: ${env.name} uses ${ref[1]}`).toContain(ref[1]);
          }
          declared.add(env.name);
        }
      }
    });
  },
);

// ─── the SQL gateway (base) ──────────────────────────────────────────────────────────────────

describe("k8s manifests: SQL gateway", () => {
  const base = build(BASE);
  const deployment = one(base.objects, "Deployment", "sql-gateway");
  const spec = specOf<WorkloadSpec>(deployment);
  const container = spec.template.spec.containers.find((c) => c.name === "sql-gateway") as Container;
  const httpPort = container.ports?.find((p) => p.name === "http");
  const env = new Map((container.env ?? []).map((e) => [e.name, e]));

  it("scales from two to twenty replicas on load, one disruption at a time", () => {
    // The autoscaler owns the count: a replicas field would reset it on every apply.
    expect(spec.replicas).toBeUndefined();
    const hpa = specOf<HpaSpec>(one(base.objects, "HorizontalPodAutoscaler", "sql-gateway"));
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "sql-gateway" });
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.maxReplicas).toBe(20);
    expect(hpa.metrics.map((m) => m.resource?.name)).toContain("cpu");
    const pdb = specOf<PdbSpec>(one(base.objects, "PodDisruptionBudget", "sql-gateway"));
    expect(selects(pdb.selector.matchLabels, spec.template.metadata.labels)).toBe(true);
    expect(pdb.maxUnavailable).toBe(1);
  });

  it("listens where its probes, Service and env say", () => {
    expect(httpPort?.containerPort).toBe(8080);
    expect(env.get("SQL_GATEWAY_PORT")?.value).toBe(String(httpPort?.containerPort));
    expect(env.get("SQL_GATEWAY_HOST")?.value).toBe("0.0.0.0");
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/health", port: "http" });
    // Liveness must not depend on the database: an outage would restart every gateway in a loop.
    expect(container.livenessProbe?.httpGet).toBeUndefined();
    expect(container.livenessProbe?.tcpSocket?.port).toBe("http");
    const service = specOf<ServiceSpec>(one(base.objects, "Service", "sql-gateway"));
    expect(selects(service.selector, spec.template.metadata.labels)).toBe(true);
    expect(service.ports.map((p) => p.targetPort)).toEqual(["http"]);
  });

  it("takes its upstream, pool size and statement timeout from the ConfigMap, the health password from a Secret", () => {
    const fromConfig = (name: string) => env.get(name)?.valueFrom?.configMapKeyRef;
    for (const name of [
      "SQL_GATEWAY_POOL_SIZE",
      "SQL_GATEWAY_STATEMENT_TIMEOUT_MS",
      "UPSTREAM_ADDRESS",
      "UPSTREAM_HEALTH_USER",
      "UPSTREAM_HEALTH_DATABASE",
      "UPSTREAM_SSLMODE",
    ]) {
      expect(fromConfig(name), name).toEqual({ name: "sql-gateway-config", key: name });
      expect(base.configMaps.get("sql-gateway-config")?.has(name), name).toBe(true);
    }
    expect(env.get("UPSTREAM_HEALTH_PASSWORD")?.valueFrom?.secretKeyRef).toEqual({
      name: "sql-gateway-health",
      key: "password",
    });
    expect(env.get("SQL_GATEWAY_POSTGRES_URL")?.value).toBe(
      "postgres://$(UPSTREAM_HEALTH_USER):$(UPSTREAM_HEALTH_PASSWORD)@$(UPSTREAM_ADDRESS)/$(UPSTREAM_HEALTH_DATABASE)?sslmode=$(UPSTREAM_SSLMODE)",
    );
    expect(Number(base.configMaps.get("sql-gateway-config")?.get("SQL_GATEWAY_POOL_SIZE"))).toBeGreaterThan(
      0,
    );
  });

  it("denies by default, admits traffic on the gateway's port only and lets it out to DNS only (overlays add Postgres)", () => {
    const deny = specOf<NetworkPolicySpec>(one(base.objects, "NetworkPolicy", "default-deny"));
    expect(deny.podSelector).toEqual({});
    expect(deny.policyTypes).toEqual(["Ingress", "Egress"]);
    const policy = specOf<NetworkPolicySpec>(one(base.objects, "NetworkPolicy", "sql-gateway"));
    expect(selects(policy.podSelector.matchLabels, spec.template.metadata.labels)).toBe(true);
    expect(policy.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(new Set(portsAllowed(policy.ingress))).toEqual(new Set(["http"]));
    for (const rule of policy.ingress ?? []) expect(rule.from?.length).toBeGreaterThan(0);
    // From the Gateway's proxies (the public routes) and Prometheus (GET /metrics), nothing else.
    const namespaces = (policy.ingress ?? [])
      .flatMap((rule) => rule.from ?? [])
      .map((peer) => JSON.stringify(peer));
    expect(namespaces).toHaveLength(2);
    expect(namespaces.join(" ")).toMatch(/envoy-gateway-system.*monitoring/);
    expect(new Set(portsAllowed(policy.egress))).toEqual(new Set([53]));
  });
});

// ─── each region's overlay ───────────────────────────────────────────────────────────────────

describe("k8s manifests: overlays", () => {
  it("has one overlay per region in regions/registry.ts, and no other", () => {
    expect([...overlayNames].sort()).toEqual([...REGION_IDS].sort());
  });
});

describe.each(REGION_IDS)("k8s manifests: %s overlay", (region) => {
  const b = buildOf(region);
  const overlay = b.layers.at(-1) as Layer;
  const vars = wranglerVars(region);
  const config = b.configMaps.get("sql-gateway-config") ?? new Map<string, string>();
  const upstream = hostPort(config.get("UPSTREAM_ADDRESS") ?? "");
  const gatewayPolicies = policiesFor(b.objects, "sql-gateway");

  it("labels every object and pod template with the region", () => {
    const labels = overlay.kustomization.labels ?? [];
    const regionLabels = labels.find((l) => REGION_LABEL in l.pairs);
    expect(regionLabels?.pairs[REGION_LABEL]).toBe(region);
    expect(regionLabels?.includeTemplates).toBe(true);
    expect(regionLabels?.includeSelectors).toBe(false);
  });

  it("schedules every workload on the region's nodes only", () => {
    const placed = [
      ...b.patches.filter((p) => p.kind === "Deployment" || p.kind === "StatefulSet"),
      ...overlay.objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet"),
    ];
    for (const workload of find(b.objects, "Deployment").concat(find(b.objects, "StatefulSet"))) {
      const sources = placed.filter(
        (p) => p.kind === workload.kind && p.metadata.name === workload.metadata.name,
      );
      const values = sources.flatMap((s) =>
        requiredNodeValues(specOf<WorkloadSpec>(s).template.spec.affinity?.nodeAffinity, REGION_LABEL),
      );
      expect(values, `${workload.kind}/${workload.metadata.name}`).toEqual([region]);
    }
  });

  it("lets the gateway out to its upstream's port", () => {
    const egressPorts = gatewayPolicies.flatMap((p) => portsAllowed(p.egress));
    expect(egressPorts).toContain(upstream.port);
  });

  it("serves exactly the hostnames and paths wrangler.toml's env calls, over TLS", () => {
    type Match = { path: { type: "Exact" | "PathPrefix"; value: string }; method?: string };
    const expected = new Map<string, Match[]>();
    const exact = (path: string, method: string): Match => ({ path: { type: "Exact", value: path }, method });
    const backend = new URL(vars.BACKEND_URL ?? "");
    expect(backend.protocol).toBe("https:");
    expect(backend.hostname).toBe(`backend.${region}.nexus.bac.cloud`);
    expect(new URL(REGIONS[region].baseUrl).hostname).toBe(`${region}.nexus.bac.cloud`);
    // The Worker's backend check: fetch(new URL("/health", BACKEND_URL)).
    expected.set(backend.hostname, [exact("/health", "GET")]);
    if (vars.DATABASE_HTTP_URL) {
      const sql = new URL(vars.DATABASE_HTTP_URL);
      expect(sql.protocol).toBe("https:");
      // SQL over HTTP, and the WebSocket tunnel on the same origin for interactive transactions.
      expected.set(sql.hostname, [exact(sql.pathname, "POST"), exact("/v1", "GET")]);
    }
    // The SAML bridge: per-connection issuers (browsers and the Worker), its keys, its admin API.
    const saml = new URL(vars.SAML_BRIDGE_URL ?? "");
    expect(saml.protocol).toBe("https:");
    expect(saml.hostname).toBe(`saml.${region}.nexus.bac.cloud`);
    expected.set(saml.hostname, [
      { path: { type: "PathPrefix", value: "/c/" } },
      exact("/jwks", "GET"),
      { path: { type: "PathPrefix", value: "/admin/connections/" } },
    ]);

    const gateways = find(b.objects, "Gateway");
    expect(gateways).toHaveLength(1);
    const gateway = gateways[0] as K8sObject;
    const listeners = specOf<GatewaySpec>(gateway).listeners;
    const routes = find(b.objects, "HTTPRoute").map((r) => specOf<HttpRouteSpec>(r));
    const services = find(b.objects, "Service");

    expect(new Set(routes.flatMap((r) => r.hostnames))).toEqual(new Set(expected.keys()));
    expect(new Set(listeners.map((l) => l.hostname))).toEqual(new Set(expected.keys()));
    for (const listener of listeners) {
      expect(listener.protocol, listener.name).toBe("HTTPS");
      expect(listener.port, listener.name).toBe(443);
      expect(listener.tls?.mode, listener.name).toBe("Terminate");
      expect(listener.tls?.certificateRefs?.length, listener.name).toBe(1);
    }
    for (const route of routes) {
      for (const host of route.hostnames) {
        const want = expected.get(host);
        for (const parent of route.parentRefs) {
          expect(parent.name).toBe(gateway.metadata.name);
          const listener = listeners.find((l) => l.name === parent.sectionName);
          expect(listener?.hostname, host).toBe(host);
        }
        const matches = route.rules.flatMap((rule) => rule.matches ?? []);
        expect(matches, host).toEqual(want ?? []);
      }
      for (const ref of route.rules.flatMap((rule) => rule.backendRefs ?? [])) {
        const service = specOf<ServiceSpec>(one(services, "Service", ref.name));
        expect(service.ports.map((p) => p.port)).toContain(ref.port);
      }
    }
  });

  if (REGIONS[region].database.provider === "neon") {
    it("points the gateway at Neon's pooled endpoint in the registry's location, and runs no Postgres", () => {
      const location = REGIONS[region].database.location.replace(/^aws-/, "");
      expect(upstream.host).toMatch(new RegExp(`^ep-[a-z0-9-]+-pooler\\.${location}\\.aws\\.neon\\.tech$`));
      expect(upstream.port).toBe(5432);
      // Neon takes TLS only and routes by server name: verified TLS with SNI.
      expect(b.configMaps.get("sql-gateway-config")?.get("UPSTREAM_SSLMODE")).toBe("verify-full");
      // The only StatefulSet is the events cluster (NATS): no Postgres runs here.
      expect(find(b.objects, "StatefulSet", "postgres")).toEqual([]);
      expect(vars.DATABASE_HTTP_URL).toBe("");
    });
  } else {
    // The rest of Lagos' database (replication, backups, MinIO, roles, connection limits) is
    // checked by test/unit/k8s-lagos-postgres.test.ts.
    it("runs Postgres through the CloudNativePG operator, and points the gateway at its read-write Service", () => {
      // The only StatefulSet is the events cluster (NATS): Postgres is the operator's.
      expect(find(b.objects, "StatefulSet").map((o) => o.metadata.name)).toEqual(["nats"]);
      const cluster = one(b.objects, "Cluster", "nexus-pg");
      expect(cluster.apiVersion).toBe("postgresql.cnpg.io/v1");
      expect(upstream).toEqual({ host: `${cluster.metadata.name}-rw.${NAMESPACE}.svc`, port: 5432 });
    });

    it("points replica-safe reads at the read-only Service, host and port only, through the ConfigMap", () => {
      const cluster = one(b.objects, "Cluster", "nexus-pg");
      const patched = b.patches
        .filter((p) => p.kind === "Deployment" && p.metadata.name === "sql-gateway")
        .flatMap((p) => specOf<WorkloadSpec>(p).template.spec.containers ?? [])
        .flatMap((c) => c.env ?? []);
      for (const name of ["SQL_GATEWAY_REPLICA_URL", "SQL_GATEWAY_REPLICA_MAX_WAIT_MS"]) {
        expect(patched.find((e) => e.name === name)?.valueFrom?.configMapKeyRef, name).toEqual({
          name: "sql-gateway-config",
          key: name,
        });
      }
      // No credentials in it: the gateway takes the health role's from its primary URL (a Secret).
      expect(config.get("SQL_GATEWAY_REPLICA_URL")).toBe(
        `postgres://${cluster.metadata.name}-ro.${NAMESPACE}.svc:5432`,
      );
      expect(Number(config.get("SQL_GATEWAY_REPLICA_MAX_WAIT_MS"))).toBeGreaterThan(0);
      // Every instance, replica or primary, carries the same pod label: one egress rule reaches both.
      const toPostgres = gatewayPolicies
        .flatMap((p) => p.egress ?? [])
        .filter((rule) => JSON.stringify(rule).includes('"app.kubernetes.io/name":"postgres"'));
      expect(toPostgres.flatMap((rule) => portsAllowed([rule]))).toContain(5432);
    });
  }
});

// ─── a real render, where a kubectl with kustomize 5 is installed (test/support/k8s-render.ts) ─

describe.skipIf(!hasKubectl())("k8s manifests: kubectl kustomize", () => {
  it.each(REGION_IDS)(
    "renders the %s overlay with every object namespaced, labelled and resolved",
    (region) => {
      const output = execFileSync("kubectl", ["kustomize", join(OVERLAYS, region)], {
        encoding: "utf8",
        timeout: 30_000,
      });
      const objects = parseAllDocuments(output).map((d) => d.toJS() as K8sObject);
      const configMaps = new Set(find(objects, "ConfigMap").map((c) => c.metadata.name));
      for (const object of objects) {
        const id = `${object.kind}/${object.metadata.name}`;
        expect(object.metadata.labels?.[REGION_LABEL], id).toBe(region);
        if (object.kind !== "Namespace") expect(object.metadata.namespace, id).toBe(NAMESPACE);
      }
      for (const workload of objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet")) {
        const pod = specOf<WorkloadSpec>(workload).template;
        expect(pod.metadata.labels[REGION_LABEL]).toBe(region);
        const refs = [
          ...(pod.spec.volumes ?? []).flatMap((v) => (v.configMap ? [v.configMap.name] : [])),
          ...podContainers(pod.spec).flatMap((c) =>
            (c.env ?? []).flatMap((e) =>
              e.valueFrom?.configMapKeyRef ? [e.valueFrom.configMapKeyRef.name] : [],
            ),
          ),
        ];
        // Generated names carry a content hash, so a config change rolls the pods.
        for (const ref of refs) {
          expect(configMaps, ref).toContain(ref);
          expect(ref).toMatch(/-[a-z0-9]{10}$/);
        }
      }
    },
  );
});

describe("k8s manifests: which kubectl renders", () => {
  it("takes kustomize 5 and newer, and not Debian's kubectl 1.20 (kustomize v2, which refuses `labels`)", () => {
    expect(kustomizeMajor("Client Version: v1.32.4\nKustomize Version: v5.5.0\n")).toBe(5);
    // kubernetes-client 1.20.2 prints no kustomize line at all.
    expect(
      kustomizeMajor('Client Version: version.Info{Major:"1", Minor:"20", GitVersion:"v1.20.2"}'),
    ).toBeUndefined();
    expect(kustomizeMajor("Kustomize Version: v4.5.7")).toBe(4);
  });
});
