import { createHash } from "node:crypto";
import type pg from "pg";

/** Per connection; beyond it statements stay unnamed, so odd clients cannot bloat the server. */
export const MAX_PREPARED_PER_CONNECTION = 256;

const named = new WeakMap<pg.ClientBase, Set<string>>();

/**
 * A stable name for a parameterised statement on this connection, or undefined to keep it
 * unnamed. Named statements are parsed and planned once per pooled connection and then only
 * bound and executed: SQL over HTTP sends the same few statements over and over, and Postgres
 * spent more time planning them than running them (bench/). Parameters never change the text,
 * so the name is a digest of it.
 */
export function preparedName(client: pg.ClientBase, text: string, hasParams: boolean): string | undefined {
  if (!hasParams) return undefined;
  const name = `nx_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
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
