import { NexusApiError, NexusNetworkError, NexusOAuthError } from "../errors";

/** Thrown for a problem the user can fix; printed as is, exit code 2 for usage, 1 otherwise. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface Output {
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

export const consoleOutput = (json: boolean): Output => ({
  json,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
});

type Cell = string | number | boolean | null | undefined;

/** A plain text table: a header row and columns padded to their widest cell. */
export function table(rows: Record<string, Cell>[], columns: string[]): string {
  if (rows.length === 0) return "(none)";
  const text = (v: Cell) => (v === null || v === undefined ? "" : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [
    line(columns.map((c) => c.toUpperCase())),
    ...rows.map((r) => line(columns.map((c) => text(r[c])))),
  ].join("\n");
}

/** `key  value` lines for one record. */
export function fields(record: Record<string, Cell>): string {
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  return Object.entries(record)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k.padEnd(width)}  ${v === null ? "" : String(v)}`)
    .join("\n");
}

/** What the user reads for a failure: the API's own words, the field, and the request id. */
export function describeError(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: `error: ${error.message}`, exitCode: error.exitCode };
  if (error instanceof NexusApiError) {
    const lines = error.errors.map((e) => `  ${e.code}${e.field ? ` (${e.field})` : ""}: ${e.message}`);
    const hint =
      error.status === 401
        ? "\nhint: sign in again with `nexus login`"
        : error.status === 403
          ? "\nhint: your role or the credential's scopes do not allow this"
          : error.retryAfter !== undefined
            ? `\nhint: try again in ${error.retryAfter} s`
            : "";
    return {
      message: `error: the API answered ${error.status}\n${lines.join("\n")}${error.requestId ? `\nrequest id: ${error.requestId}` : ""}${hint}`,
      exitCode: 1,
    };
  }
  if (error instanceof NexusNetworkError) {
    return {
      message: `error: ${error.message}\nhint: is the server running and the URL right? (--base-url)`,
      exitCode: 1,
    };
  }
  if (error instanceof NexusOAuthError)
    return { message: `error: sign-in failed: ${error.message}`, exitCode: 1 };
  return { message: `error: ${error instanceof Error ? error.message : String(error)}`, exitCode: 1 };
}
