import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Gateway, HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { Ajv, type ValidateFunction } from "ajv";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Pod,
  Service,
  ServiceAccount,
} from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REGION_IDS } from "../../regions/registry";
import { type K8sObject, renderOverlay } from "../support/k8s-render";

// Every object each overlay renders to is checked against a schema, without a cluster: the
// Kubernetes kinds by kubernetes-models (the API's own OpenAPI schemas), the operators' kinds
// (CloudNativePG, its Barman Cloud plugin, MinIO) by the CRD schemas in ./k8s-crds, closed so an
// unknown field fails as `kubectl apply --validate=strict` would. An object of a kind with no
// schema fails too: nothing reaches a cluster unchecked.

type Validate = (object: K8sObject) => void;

interface Model {
  validate(): void;
}

function byModel(make: (object: never) => Model): Validate {
  return (object) => make(object as never).validate();
}

const CORE: Record<string, Validate> = {
  "v1/Namespace": byModel((o) => new Namespace(o)),
  "v1/ServiceAccount": byModel((o) => new ServiceAccount(o)),
  "v1/ConfigMap": byModel((o) => new ConfigMap(o)),
  "v1/Service": byModel((o) => new Service(o)),
  "apps/v1/Deployment": byModel((o) => new Deployment(o)),
  "apps/v1/StatefulSet": byModel((o) => new StatefulSet(o)),
  "policy/v1/PodDisruptionBudget": byModel((o) => new PodDisruptionBudget(o)),
  "autoscaling/v2/HorizontalPodAutoscaler": byModel((o) => new HorizontalPodAutoscaler(o)),
  "networking.k8s.io/v1/NetworkPolicy": byModel((o) => new NetworkPolicy(o)),
  "gateway.networking.k8s.io/v1/Gateway": byModel((o) => new Gateway(o)),
  "gateway.networking.k8s.io/v1/HTTPRoute": byModel((o) => new HTTPRoute(o)),
};

// ─── CRD schemas, closed ─────────────────────────────────────────────────────────────────────

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema };

/** Structural-schema rules as the API server applies them on strict field validation. */
function closed(schema: Schema): Schema {
  const copy: Schema = { ...schema };
  const preserve = copy["x-kubernetes-preserve-unknown-fields"] === true;
  for (const key of Object.keys(copy)) if (key.startsWith("x-kubernetes-")) delete copy[key];
  if (copy.properties) {
    copy.properties = Object.fromEntries(
      Object.entries(copy.properties).map(([name, property]) => [name, closed(property)]),
    );
    if (copy.additionalProperties === undefined && !preserve) copy.additionalProperties = false;
  }
  if (copy.items) copy.items = closed(copy.items);
  if (typeof copy.additionalProperties === "object" && copy.additionalProperties !== null) {
    copy.additionalProperties = closed(copy.additionalProperties as Schema);
  }
  return copy;
}

const CRD_DIR = join(import.meta.dirname, "k8s-crds");
const ajv = new Ajv({ allErrors: true, strict: false });

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema: { openAPIV3Schema: Schema } }[];
  };
}

const CUSTOM: Record<string, Validate> = {};
const key = (object: K8sObject) => `${object.kind}/${object.metadata?.name}`;
for (const file of readdirSync(CRD_DIR).filter((f) => f.endsWith(".yaml"))) {
  const crd = parse(readFileSync(join(CRD_DIR, file), "utf8")) as Crd;
  for (const version of crd.spec.versions) {
    const check: ValidateFunction = ajv.compile(closed(version.schema.openAPIV3Schema));
    CUSTOM[`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`] = (object) => {
      if (!check(object)) throw new Error(ajv.errorsText(check.errors, { dataVar: key(object) }));
    };
  }
}

function validatorFor(object: K8sObject): Validate | undefined {
  const key = `${object.apiVersion}/${object.kind}`;
  return CORE[key] ?? CUSTOM[key];
}

function problems(object: K8sObject): string | null {
  const validate = validatorFor(object);
  if (!validate) return `no schema for ${object.apiVersion} ${object.kind}`;
  try {
    validate(object);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

// ─── Kubernetes types nested inside the operators' objects ───────────────────────────────────

/** A pod carrying the nested core types, so kubernetes-models checks them with the Pod schema. */
function podWith(parts: {
  resources?: unknown;
  affinity?: unknown;
  topologySpreadConstraints?: unknown;
  securityContext?: unknown;
  containerSecurityContext?: unknown;
  env?: unknown;
}): Pod {
  return new Pod({
    metadata: { name: "nested-types" },
    spec: {
      ...(parts.affinity === undefined ? {} : { affinity: parts.affinity }),
      ...(parts.topologySpreadConstraints === undefined
        ? {}
        : { topologySpreadConstraints: parts.topologySpreadConstraints }),
      ...(parts.securityContext === undefined ? {} : { securityContext: parts.securityContext }),
      containers: [
        {
          name: "c",
          image: "i",
          ...(parts.resources === undefined ? {} : { resources: parts.resources }),
          ...(parts.containerSecurityContext === undefined
            ? {}
            : { securityContext: parts.containerSecurityContext }),
          ...(parts.env === undefined ? {} : { env: parts.env }),
        },
      ],
    },
  } as never);
}

function nestedChecks(object: K8sObject): (() => void)[] {
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  if (object.kind === "ScaledObject") {
    // KEDA copies `behavior` into the HPA it makes: check it with the HPA's own schema.
    const advanced = (spec.advanced ?? {}) as { horizontalPodAutoscalerConfig?: { behavior?: unknown } };
    return [
      () =>
        new HorizontalPodAutoscaler({
          metadata: { name: "nested-types" },
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "x" },
            maxReplicas: 1,
            behavior: advanced.horizontalPodAutoscalerConfig?.behavior,
          },
        } as never).validate(),
    ];
  }
  if (object.kind === "Cluster") {
    const affinity = (spec.affinity ?? {}) as { nodeAffinity?: unknown };
    return [
      () =>
        podWith({
          resources: spec.resources,
          affinity: { nodeAffinity: affinity.nodeAffinity },
          topologySpreadConstraints: spec.topologySpreadConstraints,
        }).validate(),
    ];
  }
  if (object.kind === "Tenant") {
    const pools = (spec.pools ?? []) as Record<string, unknown>[];
    return [
      () => podWith({ env: spec.env }).validate(),
      ...pools.flatMap((pool) => [
        () =>
          podWith({
            resources: pool.resources,
            affinity: pool.affinity,
            securityContext: pool.securityContext,
            containerSecurityContext: pool.containerSecurityContext,
          }).validate(),
        () => new PersistentVolumeClaim(pool.volumeClaimTemplate as never).validate(),
      ]),
    ];
  }
  return [];
}

// ─── the checks ──────────────────────────────────────────────────────────────────────────────

describe.each(REGION_IDS)("k8s schemas: the %s overlay", (region) => {
  const { objects, via } = renderOverlay(region);

  it(`renders (via ${via}) to objects that each pass their Kubernetes or CRD schema`, () => {
    expect(objects.length).toBeGreaterThan(10);
    const failures = objects
      .map((object) => [`${object.kind}/${object.metadata?.name}`, problems(object)] as const)
      .filter(([, problem]) => problem !== null);
    expect(failures).toEqual([]);
  });

  it("passes the Kubernetes schemas for the core types nested in operator objects", () => {
    for (const object of objects) {
      for (const check of nestedChecks(object))
        expect(check, `${object.kind}/${object.metadata.name}`).not.toThrow();
    }
  });
});

describe("k8s schemas: the checks can fail", () => {
  const lagos = renderOverlay("lagos").objects;
  const cluster = lagos.find((o) => o.kind === "Cluster") as K8sObject;
  const deployment = lagos.find((o) => o.kind === "Deployment") as K8sObject;
  const tenant = lagos.find((o) => o.kind === "Tenant") as K8sObject;
  /** A copy of `object` with its spec changed by `change` (spec typed loosely, on purpose). */
  const edit = (object: K8sObject, change: (spec: Record<string, unknown>) => void): K8sObject => {
    const copy = structuredClone(object);
    change(copy.spec as Record<string, unknown>);
    return copy;
  };

  it("refuses a misspelt field, a wrong enum value and a missing required field in a Cluster", () => {
    expect(problems(cluster)).toBeNull();
    expect(problems(edit(cluster, (spec) => Object.assign(spec, { instance: 3 })))).toMatch(/additional/);
    expect(
      problems(
        edit(cluster, (spec) => {
          (spec.postgresql as Record<string, unknown>).synchronous = { method: "all", number: 1 };
        }),
      ),
    ).toMatch(/allowed values/);
    expect(problems(edit(cluster, (spec) => delete spec.instances))).toMatch(/instances/);
  });

  it("refuses a wrongly typed core field, and a wrong type nested in a Tenant", () => {
    expect(problems(deployment)).toBeNull();
    expect(problems(edit(deployment, (spec) => Object.assign(spec, { replicas: "two" })))).toMatch(/integer/);
    const broken = edit(tenant, (spec) => {
      const [pool] = spec.pools as Record<string, unknown>[];
      if (pool) pool.resources = { limits: { cpu: ["1"] } };
    });
    const failing = nestedChecks(broken).filter((check) => {
      try {
        check();
        return false;
      } catch {
        return true;
      }
    });
    expect(failing).toHaveLength(1);
  });

  it("refuses a misspelt field and a non-string scaler setting in a ScaledObject, and a wrong HPA behavior in it", () => {
    const scaled = lagos.find((o) => o.kind === "ScaledObject") as K8sObject;
    expect(problems(scaled)).toBeNull();
    expect(problems(edit(scaled, (spec) => Object.assign(spec, { minReplicas: 2 })))).toMatch(/additional/);
    expect(
      problems(
        edit(scaled, (spec) => {
          const [trigger] = spec.triggers as { metadata: Record<string, unknown> }[];
          if (trigger) trigger.metadata.threshold = 5000;
        }),
      ),
    ).toMatch(/string/);
    const badBehavior = edit(scaled, (spec) => {
      (
        spec.advanced as { horizontalPodAutoscalerConfig: { behavior: unknown } }
      ).horizontalPodAutoscalerConfig.behavior = {
        scaleDown: { stabilizationWindowSeconds: "five minutes" },
      };
    });
    expect(() => {
      for (const check of nestedChecks(badBehavior)) check();
    }).toThrow();
  });

  it("refuses an object of a kind it has no schema for", () => {
    expect(
      problems({ apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", metadata: { name: "x" } }),
    ).toMatch(/no schema/);
  });
});
