import { errorFields, NeonDbError, types } from "@neondatabase/serverless";
import { tracedSqlFetch } from "../workers/api/observability/sql-fetch";

/** A compiled statement with its values bound. */
export interface SqlText {
  sql: string;
  params: readonly unknown[];
}

export type Row = Record<string, unknown>;

/** Runs statements as one atomic batch over SQL over HTTP; rows as objects keyed by column name. */
export type HttpBatchReader = (statements: readonly SqlText[]) => Promise<Row[][]>;

interface WireResult {
  fields: { name: string; dataTypeID: number }[];
  rows: (string | null)[][];
}

type Parser = (text: string) => unknown;
const parsers = new Map<number, Parser>();

/** The driver's own parser for a type (node-postgres' pg-types, as `neon()` uses), memoised. */
function parserFor(dataTypeID: number): Parser {
  let parser = parsers.get(dataTypeID);
  if (!parser) {
    parser = types.getTypeParser(dataTypeID, "text") as Parser;
    parsers.set(dataTypeID, parser);
  }
  return parser;
}

/** The values the wire carries as they are; anything else the driver would have to serialise. */
const plain = (value: unknown) =>
  value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean";

function wireValue(value: unknown): string | null {
  return value === null ? null : String(value);
}

/**
 * The batch path of `neon()`'s `transaction([...])` for the hot reads (db/compiled-query.ts),
 * without its per-call work: the driver re-parses the connection string into URLs, rebuilds its
 * headers and options and maps every row through `Object.fromEntries` on each call, which was
 * the largest single item of the Worker's own CPU on the list (bench --profile list). Here the
 * headers are built once per database, and rows are mapped with the driver's own type parsers,
 * so callers see exactly what the driver would give them.
 *
 * Same protocol, same failures: a Postgres error is a NeonDbError with the Postgres fields (what
 * lib/db-errors.ts reads), a failed fetch is "Error connecting to database" with the cause as
 * `sourceError` (a deadline's TimeoutError included), another status is "Server error (HTTP
 * status N)". Statements with values other than text, numbers, booleans and null return
 * `undefined` from `prepare`: the caller then uses the driver, which knows how to send them.
 *
 * Only for an explicit SQL-over-HTTP endpoint (our gateway: Lagos, local, the bench); against
 * Neon itself the driver derives the endpoint, and the driver is used.
 */
export function httpBatchReader(options: {
  endpoint: string;
  connectionString: string;
  /** A fresh deadline each time it is read (db/client.ts deadlineFetchOptions). */
  fetchOptions: { readonly signal: AbortSignal };
  /** Sends `Nexus-Read-Replica: allowed` (regions/sql-gateway/backends/replica-reads.ts). */
  replicaReads?: boolean;
}): { prepare(statements: readonly SqlText[]): (() => Promise<Row[][]>) | undefined } {
  const headers = {
    "Neon-Connection-String": options.connectionString,
    "Neon-Raw-Text-Output": "true",
    "Neon-Array-Mode": "true",
    ...(options.replicaReads ? { "Nexus-Read-Replica": "allowed" } : {}),
  };

  const run = async (body: string): Promise<Row[][]> => {
    let response: Response;
    try {
      response = await tracedSqlFetch(options.endpoint, {
        method: "POST",
        body,
        headers,
        signal: options.fetchOptions.signal,
      });
    } catch (error) {
      throw Object.assign(new NeonDbError(`Error connecting to database: ${error}`), { sourceError: error });
    }
    if (!response.ok) {
      if (response.status === 400) {
        const failure = (await response.json()) as Record<string, unknown>;
        const error = new NeonDbError(String(failure.message ?? "database error"));
        for (const field of errorFields)
          (error as unknown as Record<string, unknown>)[field] = failure[field];
        throw error;
      }
      throw new NeonDbError(`Server error (HTTP status ${response.status}): ${await response.text()}`);
    }
    const { results } = (await response.json()) as { results?: WireResult[] };
    if (!Array.isArray(results)) throw new NeonDbError("Neon internal error: unexpected result format");
    return results.map(toRows);
  };

  return {
    prepare(statements) {
      for (const statement of statements) if (!statement.params.every(plain)) return undefined;
      const body = JSON.stringify({
        queries: statements.map((s) => ({ query: s.sql, params: s.params.map(wireValue) })),
      });
      return () => run(body);
    },
  };
}

function toRows(result: WireResult): Row[] {
  const names = result.fields.map((f) => f.name);
  const parse = result.fields.map((f) => parserFor(f.dataTypeID));
  const rows: Row[] = new Array(result.rows.length);
  for (let r = 0; r < result.rows.length; r++) {
    const values = result.rows[r] as (string | null)[];
    const row: Row = {};
    for (let i = 0; i < names.length; i++) {
      const value = values[i];
      row[names[i] as string] = value === null || value === undefined ? null : (parse[i] as Parser)(value);
    }
    rows[r] = row;
  }
  return rows;
}
