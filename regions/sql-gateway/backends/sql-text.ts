import { ISOLATION_LEVELS } from "../protocol";
import type { BatchOptions } from "./types";

/** Double-quotes an identifier (role names are case-sensitive and may contain anything). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** BEGIN with the batch's transaction modes; omitted options keep the server's defaults. */
export function beginStatement(options: BatchOptions): string {
  const modes: string[] = [];
  if (options.isolationLevel) modes.push(`ISOLATION LEVEL ${ISOLATION_LEVELS[options.isolationLevel]}`);
  if (options.readOnly !== undefined) modes.push(options.readOnly ? "READ ONLY" : "READ WRITE");
  if (options.deferrable !== undefined) modes.push(options.deferrable ? "DEFERRABLE" : "NOT DEFERRABLE");
  return modes.length > 0 ? `BEGIN ${modes.join(", ")}` : "BEGIN";
}

/**
 * On PGlite, puts session state back to defaults between users of its one session. RESET ALL leaves the role
 * alone, hence RESET ROLE. Not DISCARD ALL: that would also drop WebSocket clients' named prepared
 * statements, which node-postgres caches per connection across transactions.
 */
export const RESET_SESSION = "RESET ROLE; RESET ALL";

/**
 * DISCARD ALL spelled out (PostgreSQL docs, DISCARD), less DEALLOCATE ALL and DISCARD PLANS:
 * the gateway's own named statements (prepared-statements.ts) stay prepared across requests.
 * Unlike DISCARD ALL it may follow COMMIT in one simple-protocol message, so a batch ends and
 * cleans its session in one round trip. Everything a client can leave behind (settings, role,
 * cursors, listeners, advisory locks, temp tables, sequence state) is reset.
 */
export const SESSION_RESET =
  "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; " +
  "SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES";
