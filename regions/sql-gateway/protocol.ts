import { z } from "zod";

// Neon's SQL-over-HTTP protocol as @neondatabase/serverless 1.2 speaks it (see `neon()` in its
// index.mjs): POST /sql, the options in Neon-* headers, the statement(s) in a JSON body, every value
// in Postgres text format so the driver can parse it by dataTypeID exactly as node-postgres would.

export const ISOLATION_LEVELS = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
} as const;

export type IsolationLevel = keyof typeof ISOLATION_LEVELS;

/** Postgres rejects more bind parameters than this (the count is an int16 on the wire). */
const MAX_PARAMS = 65_535;
/** Neon has no documented limit; this only stops a runaway client from queueing unbounded work. */
export const MAX_BATCH_QUERIES = 1_000;

const booleanHeader = z
  .string()
  .transform((value) => value.trim().toLowerCase())
  .pipe(z.enum(["true", "false"], { error: "must be true or false" }))
  .transform((value) => value === "true");

/** Header names as node:http exposes them (lower case). Unknown headers are ignored. */
export const sqlHeadersSchema = z.object({
  "neon-connection-string": z
    .string({ error: "the Neon-Connection-String header is required" })
    .min(1, "the Neon-Connection-String header is empty")
    .max(4_096),
  // The driver always asks for raw text; the JSON-typed output Neon produces otherwise is not
  // implemented, and answering it with text would silently change every value's type.
  "neon-raw-text-output": z
    .string({ error: "only Neon-Raw-Text-Output: true is supported" })
    .transform((value) => value.trim().toLowerCase())
    .pipe(z.literal("true", { error: "only Neon-Raw-Text-Output: true is supported" })),
  "neon-array-mode": booleanHeader.optional(),
  "neon-batch-isolation-level": z
    .enum(Object.keys(ISOLATION_LEVELS) as [IsolationLevel, ...IsolationLevel[]], {
      error: `must be one of ${Object.keys(ISOLATION_LEVELS).join(", ")}`,
    })
    .optional(),
  "neon-batch-read-only": booleanHeader.optional(),
  "neon-batch-deferrable": booleanHeader.optional(),
  // Ours, not Neon's: the client says a stale-free replica may answer (backends/replica-reads.ts).
  // Such a request runs read-only wherever it goes, so a write marked by mistake fails everywhere.
  "nexus-read-replica": z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .pipe(z.literal("allowed", { error: "only Nexus-Read-Replica: allowed is understood" }))
    .optional(),
});

export type SqlHeaders = z.infer<typeof sqlHeadersSchema>;

// The driver sends every parameter already serialised to text (node-postgres' prepareValue) or
// null; numbers and booleans are accepted too so hand-written requests (curl) are not surprising.
const paramSchema = z
  .union([z.string(), z.number(), z.boolean(), z.null()])
  .transform((value) => (value === null ? null : String(value)));

export const statementSchema = z.object({
  query: z.string().min(1, "query must not be empty"),
  params: z.array(paramSchema).max(MAX_PARAMS).default([]),
});

export const batchSchema = z.object({
  queries: z.array(statementSchema).max(MAX_BATCH_QUERIES),
});

export type Statement = z.infer<typeof statementSchema>;

export type SqlRequestBody =
  | { kind: "single"; statement: Statement }
  | { kind: "batch"; statements: Statement[] };

/** Validates a parsed JSON body; the presence of `queries` decides which shape is expected. */
export function parseSqlBody(
  body: unknown,
): { success: true; data: SqlRequestBody } | { success: false; error: z.ZodError } {
  if (typeof body === "object" && body !== null && "queries" in body) {
    const parsed = batchSchema.safeParse(body);
    if (!parsed.success) return { success: false, error: parsed.error };
    return { success: true, data: { kind: "batch", statements: parsed.data.queries } };
  }
  const parsed = statementSchema.safeParse(body);
  if (!parsed.success) return { success: false, error: parsed.error };
  return { success: true, data: { kind: "single", statement: parsed.data } };
}

/** The credentials a request runs with. Host, port and query options of the string are ignored. */
export interface DatabaseRole {
  user: string;
  password: string;
  database: string;
}

/**
 * Reads user, password and database from a postgres:// URL. The host is deliberately not
 * returned: the gateway only ever talks to its configured upstream, so a client cannot turn it
 * into a proxy to somewhere else.
 */
export function parseConnectionString(connectionString: string): DatabaseRole | null {
  const scheme = /^(postgres|postgresql):\/\//i.exec(connectionString);
  if (!scheme) return null;
  let url: URL;
  try {
    // Parsing as http gives WHATWG URL's full authority handling (IPv6 hosts, userinfo).
    url = new URL(`http://${connectionString.slice(scheme[0].length)}`);
  } catch {
    return null;
  }
  try {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
    if (!user || !database || database.includes("/")) return null;
    return { user, password, database };
  } catch {
    return null;
  }
}

/** Column metadata in node-postgres' FieldDef shape, which is what Neon answers with. */
export interface FieldDescription {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: "text";
}

/** One statement's outcome as a backend produces it: rows always as arrays of text or null. */
export interface RawResult {
  fields: FieldDescription[];
  rows: (string | null)[][];
  command: string;
  rowCount: number | null;
}

export interface QueryResultBody {
  fields: FieldDescription[];
  rows: (string | null)[][] | Record<string, string | null>[];
  command: string;
  rowCount: number | null;
  rowAsArray: boolean;
}

/** Shapes a backend result for the wire: `Neon-Array-Mode: false` means rows keyed by column name. */
export function toResultBody(result: RawResult, arrayMode: boolean): QueryResultBody {
  const rows = arrayMode
    ? result.rows
    : result.rows.map((row) =>
        Object.fromEntries(result.fields.map((field, i) => [field.name, row[i] ?? null])),
      );
  return {
    fields: result.fields,
    rows,
    command: result.command,
    rowCount: result.rowCount,
    rowAsArray: arrayMode,
  };
}
