import { createHash } from "node:crypto";
import type pg from "pg";
import { hasTraceComment } from "../../lib/telemetry/sqlcommenter";

/** Per connection; beyond it statements stay unnamed, so odd clients cannot bloat the server. */
export const MAX_PREPARED_PER_CONNECTION = 256;

const named = new WeakMap<pg.ClientBase, Set<string>>();

/** Statement text → its name. Hashing every statement cost ~10 % of the gateway's CPU (bench --profile). */
const digests = new Map<string, string>();
/** Distinct texts remembered; beyond it names are hashed each time (still correct, only slower). */
const MAX_DIGESTS = 4_096;
/** Longer texts are not kept (the memo stays a few MB at most). */
const MAX_DIGESTED_TEXT = 16_384;

function nameOf(text: string): string {
  const known = digests.get(text);
  if (known !== undefined) return known;
  const name = `nx_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
  if (digests.size < MAX_DIGESTS && text.length <= MAX_DIGESTED_TEXT) digests.set(text, name);
  return name;
}

/**
 * A stable name for a parameterised statement on this connection, or undefined to keep it
 * unnamed. Named statements are parsed and planned once per pooled connection and then only
 * bound and executed: SQL over HTTP sends the same few statements over and over, and Postgres
 * spent more time planning them than running them (bench/). Parameters never change the text,
 * so the name is a digest of it.
 */
export function preparedName(client: pg.ClientBase, text: string, hasParams: boolean): string | undefined {
  // A traced statement's text is unique to its request (sqlcommenter): naming it would fill the
  // connection's quota with statements never run again, and a name reused would show an old trace.
  if (!hasParams || hasTraceComment(text)) return undefined;
  const name = nameOf(text);
  let names = named.get(client);
  if (!names) {
    names = new Set();
    named.set(client, names);
  }
  if (names.has(name)) return name;
  if (names.size >= MAX_PREPARED_PER_CONNECTION) return undefined;
  names.add(name);
  return name;
}
