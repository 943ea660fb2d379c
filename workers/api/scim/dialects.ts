import type { ScimPatchOperation } from "scim-patch";
import { ScimError } from "./scim-error";

/**
 * What Okta and Microsoft Entra actually send, brought to RFC 7644 before scim-patch applies it:
 *
 * - Entra capitalises ops (`"Replace"`, `"Add"`, `"Remove"`), and before its 2020 fix (still the
 *   default unless the tenant URL has `?aadOptscim062020`) sends booleans as strings
 *   (`"active": "False"`), inside a path-less value object or as the value of `path: "active"`.
 * - Entra removes group members with `path: "members"` and the members in `value`, where the RFC
 *   would remove every member; Okta uses `members[value eq "…"]`. Both mean "these members".
 * - Okta deactivates with `{"op":"replace","value":{"active":false}}`.
 */
const BOOLEAN_ATTRIBUTES = new Set(["active", "primary"]);

function booleanish(value: unknown): unknown {
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  return value;
}

function fixBooleans(value: unknown, key?: string): unknown {
  if (key !== undefined && BOOLEAN_ATTRIBUTES.has(key)) return booleanish(value);
  if (Array.isArray(value)) return value.map((v) => fixBooleans(v));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fixBooleans(v, k)]));
  }
  return value;
}

const escapeFilterValue = (v: string) => v.replaceAll("\\", "\\\\").replaceAll('"', '\\"');

export function normalisePatch(body: unknown): ScimPatchOperation[] {
  const ops = (body as { Operations?: unknown } | null)?.Operations;
  if (!Array.isArray(ops) || ops.length === 0) {
    throw new ScimError(400, "A PatchOp needs a non-empty Operations array", "invalidSyntax");
  }
  if (ops.length > 1000) throw new ScimError(413, "At most 1000 operations per request", "tooMany");
  const out: ScimPatchOperation[] = [];
  for (const raw of ops) {
    if (!raw || typeof raw !== "object")
      throw new ScimError(400, "Each operation is an object", "invalidSyntax");
    const { op, path, value } = raw as { op?: unknown; path?: unknown; value?: unknown };
    const kind = typeof op === "string" ? op.toLowerCase() : "";
    if (kind !== "add" && kind !== "replace" && kind !== "remove") {
      throw new ScimError(400, `Unknown op ${JSON.stringify(op)}`, "invalidSyntax");
    }
    if (path !== undefined && typeof path !== "string")
      throw new ScimError(400, "path is a string", "invalidPath");
    const last = typeof path === "string" ? path.split(".").at(-1) : undefined;
    const fixed = fixBooleans(value, last);
    if (kind === "remove") {
      if (path === undefined) throw new ScimError(400, "remove needs a path", "noTarget");
      if (path === "members" && Array.isArray(fixed)) {
        for (const member of fixed) {
          const id = (member as { value?: unknown })?.value;
          if (typeof id !== "string") throw new ScimError(400, "members[].value is a string", "invalidValue");
          out.push({ op: "remove", path: `members[value eq "${escapeFilterValue(id)}"]` });
        }
        continue;
      }
      out.push({ op: "remove", path });
      continue;
    }
    out.push(path === undefined ? { op: kind, value: fixed } : { op: kind, path, value: fixed });
  }
  return out;
}
