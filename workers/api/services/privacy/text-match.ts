import { type SQL, sql } from "drizzle-orm";

/** Stands where an identifying value was, in text an erasure keeps (Stripe's redaction placeholder). */
export const REDACTED = "[redacted]";

const escapeRegex = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A Postgres regular expression matching any of the identifiers (case-insensitive with `~*` and
 * the `gi` flags), or undefined when there are none. Values are escaped: they are data.
 */
export function identifierPattern(identifiers: readonly string[]): string | undefined {
  const usable = identifiers.map((v) => v.trim()).filter((v) => v.length >= 3);
  if (usable.length === 0) return undefined;
  // Longest first, so a full name is replaced whole rather than a part of it.
  return [...new Set(usable)]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegex)
    .join("|");
}

/** True where `column` (as text) quotes an identifier; false when there is nothing to look for. */
export function mentions(column: SQL, pattern: string | undefined): SQL {
  return pattern === undefined ? sql`false` : sql`(${column})::text ~* ${pattern}`;
}

/** `column` (text) with every identifier replaced by REDACTED. */
export function redactText(column: SQL, pattern: string | undefined): SQL {
  return pattern === undefined ? column : sql`regexp_replace(${column}, ${pattern}, ${REDACTED}, 'gi')`;
}

/**
 * A jsonb column with every identifier inside its strings replaced. Values are JSON-escaped in
 * the text form only when they contain quotes or backslashes, which identifiers here do not
 * (profile.ts drops those), so the result is valid JSON.
 */
export function redactJson(column: SQL, pattern: string | undefined): SQL {
  return pattern === undefined
    ? column
    : sql`regexp_replace((${column})::text, ${pattern}, ${REDACTED}, 'gi')::jsonb`;
}
