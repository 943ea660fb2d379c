// Stripe's request bodies: application/x-www-form-urlencoded with bracket nesting, exactly as
// stripe-node's stringifyRequestData writes them: `metadata[order]=1`, `line_items[0][quantity]=2`,
// `enabled_events[0]=*` (also the bare `enabled_events[]=*` form other clients send). Numeric
// segments make arrays, others objects; every leaf stays a string, as Stripe types them itself.

export type FormValue = string | FormValue[] | { [key: string]: FormValue };

/** Segments of `a[b][0][c]` → ["a", "b", "0", "c"]; undefined for a malformed name. */
function segments(name: string): string[] | undefined {
  const open = name.indexOf("[");
  if (open === -1) return [name];
  const parts = [name.slice(0, open)];
  const rest = name.slice(open);
  const pattern = /\[([^[\]]*)\]/g;
  let consumed = 0;
  for (const match of rest.matchAll(pattern)) {
    if (match.index !== consumed) return undefined;
    parts.push(match[1] ?? "");
    consumed = match.index + match[0].length;
  }
  return consumed === rest.length && parts[0] !== "" ? parts : undefined;
}

export class FormShapeError extends Error {
  override readonly name = "FormShapeError";
}

type Container = FormValue[] | { [key: string]: FormValue };

/** Parses a Stripe form body into nested plain objects and arrays (arrays compacted in index order). */
export function parseStripeForm(body: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const path = segments(name);
    if (!path) throw new FormShapeError(`Invalid parameter name: ${name}`);
    let node: Container = root;
    for (let i = 0; i < path.length; i++) {
      const raw = path[i] as string;
      const last = i === path.length - 1;
      const key: string | number = Array.isArray(node) ? (raw === "" ? node.length : Number(raw)) : raw;
      if (Array.isArray(node) && !Number.isInteger(key)) {
        throw new FormShapeError(`Invalid array index in ${name}`);
      }
      const holder = node as Record<string | number, FormValue>;
      if (last) {
        holder[key] = value;
        break;
      }
      const next = path[i + 1] as string;
      const wantsArray = next === "" || /^\d+$/.test(next);
      const existing = holder[key];
      if (existing === undefined) {
        holder[key] = wantsArray ? [] : {};
      } else if (typeof existing === "string") {
        throw new FormShapeError(`Parameter ${name} mixes a value and a hash`);
      }
      node = holder[key] as Container;
    }
  }
  return compact(root) as Record<string, FormValue>;
}

/** Sparse arrays (`a[0]`, `a[2]`) become dense, in index order, as Stripe reads them. */
function compact(value: FormValue): FormValue {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(compact);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compact(v)]));
}

/** `line_items.0.price_data.currency` → `line_items[0][price_data][currency]`, Stripe's `param` form. */
export function paramName(path: readonly PropertyKey[]): string {
  const [first, ...rest] = path.map(String);
  return `${first ?? ""}${rest.map((segment) => `[${segment}]`).join("")}`;
}
