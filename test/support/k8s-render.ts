import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

// What `kubectl kustomize regions/k8s/overlays/<region>` produces, for the offline manifest tests.
// A kubectl with kustomize 5 built in renders where one is installed (regions/k8s/README.md
// "Rendering"). Debian's kubectl (kubernetes-client 1.20.2, kustomize v2.0.3) cannot: it stops
// at `labels` ("json: unknown field"), so it counts as none; no npm package of kustomize is
// available here. Without a usable kubectl, the objects of every resource file the
// kustomizations name are used as written (no labels, hashes or patches applied): the schema and
// invariant checks still run, on the documents an operator would apply.

export const K8S_ROOT = resolve(import.meta.dirname, "../../regions/k8s");

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Rendered {
  objects: K8sObject[];
  /** "kubectl" when kustomize really ran, "sources" when the files were read as they are. */
  via: "kubectl" | "sources";
}

function parse(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map((e) => e.message).join("; "));
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null && object !== undefined);
}

let kubectl: boolean | undefined;

/** The major version of the kustomize built into `kubectl version --client`'s output, if it says. */
export function kustomizeMajor(versionOutput: string): number | undefined {
  const match = /Kustomize Version: v(\d+)\./.exec(versionOutput);
  return match ? Number(match[1]) : undefined;
}

/**
 * A kubectl whose kustomize renders these overlays (5 or newer). NEXUS_K8S_RENDER=sources checks
 * the fallback on a machine that has one.
 */
export function hasKubectl(): boolean {
  if (process.env.NEXUS_K8S_RENDER === "sources") return false;
  if (kubectl === undefined) {
    try {
      const output = execFileSync("kubectl", ["version", "--client"], { encoding: "utf8", timeout: 10_000 });
      kubectl = (kustomizeMajor(output) ?? 0) >= 5;
    } catch {
      kubectl = false;
    }
  }
  return kubectl;
}

interface Kustomization {
  resources?: string[];
  configMapGenerator?: { name: string; behavior?: string; literals?: string[] }[];
}

/** Resource files as written, and the generators' ConfigMaps (literals, overlays merged in). */
function sourceObjects(dir: string, configMaps = new Map<string, Record<string, string>>()): K8sObject[] {
  const [kustomization] = parse(
    readFileSync(join(dir, "kustomization.yaml"), "utf8"),
  ) as unknown as Kustomization[];
  const objects = (kustomization?.resources ?? []).flatMap((entry) => {
    const path = resolve(dir, entry);
    if (!existsSync(path)) return [];
    return statSync(path).isDirectory() ? sourceObjects(path, configMaps) : parse(readFileSync(path, "utf8"));
  });
  for (const generator of kustomization?.configMapGenerator ?? []) {
    const data = generator.behavior === "merge" ? (configMaps.get(generator.name) ?? {}) : {};
    for (const literal of generator.literals ?? []) {
      const at = literal.indexOf("=");
      data[literal.slice(0, at)] = literal.slice(at + 1);
    }
    configMaps.set(generator.name, data);
  }
  return objects;
}

function withConfigMaps(dir: string): K8sObject[] {
  const configMaps = new Map<string, Record<string, string>>();
  const objects = sourceObjects(dir, configMaps);
  for (const [name, data] of configMaps) {
    objects.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data });
  }
  return objects;
}

const cache = new Map<string, Rendered>();

export function renderOverlay(region: string): Rendered {
  const cached = cache.get(region);
  if (cached) return cached;
  const dir = join(K8S_ROOT, "overlays", region);
  const rendered: Rendered = hasKubectl()
    ? {
        objects: parse(execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", timeout: 60_000 })),
        via: "kubectl",
      }
    : { objects: withConfigMaps(dir), via: "sources" };
  cache.set(region, rendered);
  return rendered;
}
