import { type SQL, sql } from "drizzle-orm";
import { ApiError } from "../../lib/errors";

/** The record types in the one index, and the permission that lets a caller see each. */
export const SEARCH_TYPES = {
  resource: { permission: "resources.read", path: "/api/v1/resources" },
  contact: { permission: "crm.contacts.read", path: "/api/v1/contacts" },
  lead: { permission: "crm.leads.read", path: "/api/v1/leads" },
  opportunity: { permission: "crm.opportunities.read", path: "/api/v1/opportunities" },
  invoice: { permission: "finance.invoices.read", path: "/api/v1/invoices" },
} as const;
export type SearchType = keyof typeof SEARCH_TYPES;
export const SEARCH_TYPE_NAMES = Object.keys(SEARCH_TYPES) as SearchType[];

const DATE_COLUMNS = ["created_at", "updated_at", "resource_timestamp"] as const;
const METADATA_KEY = /^metadata\.([A-Za-z0-9_-]{1,64})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export type Scalar = string | number | boolean;
export type FilterValue =
  | Scalar
  | Scalar[]
  | { in?: Scalar[]; gte?: Scalar; gt?: Scalar; lte?: Scalar; lt?: Scalar };

const RANGE_OPS = { gte: ">=", gt: ">", lte: "<=", lt: "<" } as const;

const bad = (field: string, message: string) => ApiError.validation([{ field, message }]);

const FIELDS_HELP =
  "type, created_at, updated_at, resource_timestamp, or metadata.<key> (letters, digits, _ and -)";

/** One metadata key's condition: equality matches the value, or an array holding it (tags). */
function metadataEquals(key: string, value: Scalar): SQL {
  const v = sql`${JSON.stringify(value)}::jsonb`;
  return sql`(d.metadata -> ${key} = ${v} or (jsonb_typeof(d.metadata -> ${key}) = 'array' and d.metadata -> ${key} @> jsonb_build_array(${v})))`;
}

function metadataRange(field: string, key: string, op: keyof typeof RANGE_OPS, bound: Scalar): SQL {
  const cmp = sql.raw(RANGE_OPS[op]);
  if (typeof bound === "number") {
    return sql`(jsonb_typeof(d.metadata -> ${key}) = 'number' and (d.metadata ->> ${key})::numeric ${cmp} ${bound}::numeric)`;
  }
  if (typeof bound === "string" && ISO_DATE.test(bound)) {
    // ISO 8601 dates of one shape order as text; a value of another shape never matches a range.
    return sql`(jsonb_typeof(d.metadata -> ${key}) = 'string' and d.metadata ->> ${key} ${cmp} ${bound}::text)`;
  }
  throw bad(`filter.${field}.${op}`, "A range bound is a number or an ISO 8601 date");
}

function dateColumn(field: string, column: string, op: keyof typeof RANGE_OPS | "eq", bound: Scalar): SQL {
  if (typeof bound !== "string" || !ISO_DATE.test(bound) || Number.isNaN(Date.parse(bound))) {
    throw bad(
      op === "eq" ? `filter.${field}` : `filter.${field}.${op}`,
      "A date as ISO 8601 (2026-12-31 or 2026-12-31T10:00:00Z)",
    );
  }
  const cmp = sql.raw(op === "eq" ? "=" : RANGE_OPS[op]);
  return sql`d.${sql.raw(column)} ${cmp} ${bound}::timestamptz`;
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/**
 * The `filter` object as SQL over `search_documents d`, applied to both arms before ranking.
 * Each key: a value (equality; for metadata arrays, containment), a list or `{in: [...]}` (any
 * of), or a range `{gte, gt, lte, lt}` on numbers and dates. A problem is a 400 naming the key.
 */
export function filterSql(filter: Record<string, unknown> | undefined): SQL[] {
  if (!filter) return [];
  const entries = Object.entries(filter);
  if (entries.length > 20) throw bad("filter", "At most 20 filter fields");
  const conditions: SQL[] = [];
  for (const [field, raw] of entries) {
    const meta = METADATA_KEY.exec(field)?.[1];
    const date = (DATE_COLUMNS as readonly string[]).includes(field) ? field : undefined;
    if (field !== "type" && !meta && !date)
      throw bad(`filter.${field}`, `Unknown filter field; use ${FIELDS_HELP}`);
    const anyOf = Array.isArray(raw)
      ? raw
      : typeof raw === "object" && raw !== null && "in" in raw
        ? (raw as { in: unknown }).in
        : undefined;
    if (anyOf !== undefined) {
      if (!Array.isArray(anyOf) || anyOf.length === 0 || anyOf.length > 100 || !anyOf.every(isScalar)) {
        throw bad(`filter.${field}`, "`in` takes a list of 1–100 strings, numbers or booleans");
      }
      if (typeof raw === "object" && raw !== null && !Array.isArray(raw) && Object.keys(raw).length > 1) {
        throw bad(`filter.${field}`, "`in` cannot be combined with a range");
      }
      conditions.push(
        sql`(${sql.join(
          anyOf.map((v) => scalarCondition(field, meta, date, v)),
          sql` or `,
        )})`,
      );
      continue;
    }
    if (isScalar(raw)) {
      conditions.push(scalarCondition(field, meta, date, raw));
      continue;
    }
    if (typeof raw !== "object" || raw === null) {
      throw bad(`filter.${field}`, "A value, a list, {in: [...]} or a range {gte, gt, lte, lt}");
    }
    const ops = Object.entries(raw);
    if (ops.length === 0) throw bad(`filter.${field}`, "An empty range");
    for (const [op, bound] of ops) {
      if (!(op in RANGE_OPS))
        throw bad(`filter.${field}.${op}`, "Unknown operator; use in, gte, gt, lte or lt");
      if (!isScalar(bound))
        throw bad(`filter.${field}.${op}`, "A range bound is a number or an ISO 8601 date");
      const rangeOp = op as keyof typeof RANGE_OPS;
      if (field === "type") throw bad(`filter.type.${op}`, "type takes a value or a list, not a range");
      conditions.push(
        meta ? metadataRange(field, meta, rangeOp, bound) : dateColumn(field, date ?? "", rangeOp, bound),
      );
    }
  }
  return conditions;
}

function scalarCondition(
  field: string,
  meta: string | undefined,
  date: string | undefined,
  value: Scalar,
): SQL {
  if (meta) return metadataEquals(meta, value);
  if (date) return dateColumn(field, date, "eq", value);
  if (typeof value !== "string" || !(SEARCH_TYPE_NAMES as string[]).includes(value)) {
    throw bad("filter.type", `type is one of ${SEARCH_TYPE_NAMES.join(", ")}`);
  }
  return sql`d.type = ${value}`;
}

/** A facet: the SQL producing its values for one document (`d`), one row per value. */
export function facetValuesSql(facets: readonly string[]): SQL | undefined {
  if (facets.length === 0) return undefined;
  const parts = facets.map((field, i) => {
    if (field === "type") return sql`select ${field}::text, d.type`;
    const key = METADATA_KEY.exec(field)?.[1];
    if (!key) {
      throw bad(`facets.${i}`, `Unknown facet field ${JSON.stringify(field)}; use type or metadata.<key>`);
    }
    // Arrays (tags) count each element; scalars count once; objects and nulls are not values.
    return sql`select ${field}::text, v from jsonb_array_elements_text(
        case jsonb_typeof(d.metadata -> ${key}) when 'array' then d.metadata -> ${key}
          when 'object' then '[]'::jsonb when 'null' then '[]'::jsonb
          else jsonb_build_array(d.metadata -> ${key}) end) v`;
  });
  return sql.join(parts, sql` union all `);
}
