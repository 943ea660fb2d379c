/**
 * sqlcommenter (google.github.io/sqlcommenter): `/*traceparent='00-…-01'*\/` after a statement,
 * so Postgres (pg_stat_activity, the statement log, pg_stat_statements' first text) shows which
 * trace ran it. Only head-sampled statements get one: every comment makes the text unique, which
 * defeats the SQL gateway's prepared statements (it runs commented statements unnamed).
 */
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const COMMENTED = /\/\*traceparent='00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}'\*\/\s*$/;

export function withTraceComment(sqlText: string, traceparent: string): string {
  // A value we did not make (or a statement that already has one) is left alone.
  if (!TRACEPARENT.test(traceparent) || COMMENTED.test(sqlText)) return sqlText;
  // Key and value URL-encoded by the spec; a traceparent has nothing to encode.
  return `${sqlText.replace(/;\s*$/, "")} /*traceparent='${traceparent}'*/`;
}

/** Whether a statement ends in a trace comment (the gateway then does not name it). */
export function hasTraceComment(sqlText: string): boolean {
  return COMMENTED.test(sqlText);
}

/** The trace id of a commented statement, for the tests and the trace viewer. */
export function traceIdOfComment(sqlText: string): string | undefined {
  return /\/\*traceparent='00-([0-9a-f]{32})-/.exec(sqlText)?.[1];
}
