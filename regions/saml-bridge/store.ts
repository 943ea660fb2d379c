import pg from "pg";

/**
 * What the bridge remembers: its connections (no expiry) and short-lived entries (an AuthnRequest
 * in flight, an authorization code, a consumed assertion id). Several replicas share the region's
 * Postgres, so a code or an assertion id is consumed once across all of them; the in-memory store
 * is for one process (the local stack on PGlite, where a second Postgres session is not offered).
 */
export type EntryKind = "connection" | "flow" | "authn" | "code" | "assertion";

export interface BridgeStore {
  put(kind: EntryKind, key: string, value: unknown, ttlMs?: number): Promise<void>;
  get<T>(kind: EntryKind, key: string): Promise<T | undefined>;
  /** Reads and deletes in one step: the second taker gets nothing. */
  take<T>(kind: EntryKind, key: string): Promise<T | undefined>;
  /** Records `key` unless a live entry has it: false when it was there already (a replay). */
  claimOnce(kind: EntryKind, key: string, ttlMs: number): Promise<boolean>;
  delete(kind: EntryKind, key: string): Promise<boolean>;
  close(): Promise<void>;
}

export function memoryStore(): BridgeStore {
  const entries = new Map<string, { value: unknown; expiresAt: number }>();
  const id = (kind: EntryKind, key: string) => `${kind}\u0000${key}`;
  const live = (kind: EntryKind, key: string) => {
    const entry = entries.get(id(kind, key));
    if (entry && entry.expiresAt <= Date.now()) {
      entries.delete(id(kind, key));
      return undefined;
    }
    return entry;
  };
  return {
    put: async (kind, key, value, ttlMs) => {
      entries.set(id(kind, key), {
        value: structuredClone(value),
        expiresAt: ttlMs ? Date.now() + ttlMs : Infinity,
      });
    },
    get: async <T>(kind: EntryKind, key: string) => live(kind, key)?.value as T | undefined,
    take: async <T>(kind: EntryKind, key: string) => {
      const entry = live(kind, key);
      entries.delete(id(kind, key));
      return entry?.value as T | undefined;
    },
    claimOnce: async (kind, key, ttlMs) => {
      if (live(kind, key)) return false;
      entries.set(id(kind, key), { value: true, expiresAt: Date.now() + ttlMs });
      return true;
    },
    delete: async (kind, key) => entries.delete(id(kind, key)),
    close: async () => entries.clear(),
  };
}

const SCHEMA = `
select pg_advisory_xact_lock(hashtext('saml_bridge schema'));
create schema if not exists saml_bridge;
create table if not exists saml_bridge.entries (
  kind text not null,
  key text not null,
  value jsonb not null,
  expires_at timestamptz,
  primary key (kind, key)
);
create index if not exists entries_expiry_idx on saml_bridge.entries (expires_at) where expires_at is not null;`;

/**
 * The region's Postgres, in a schema of the bridge's own (like Ory Polis keeps its tables): the
 * bridge creates it at start, and the Worker's migrations never touch it.
 */
export async function postgresStore(
  connectionString: string,
  onIdleError: (error: Error) => void = () => {},
): Promise<BridgeStore> {
  const pool = new pg.Pool({ connectionString, max: 4 });
  // An idle connection ended by the server (a failover, a restart, a dropped database) is an
  // 'error' event on the pool: unheard, Node ends the process. The pool replaces it at the next query.
  pool.on("error", onIdleError);
  await pool.query(SCHEMA);
  const expiry = (ttlMs?: number) => (ttlMs ? new Date(Date.now() + ttlMs).toISOString() : null);
  const liveClause = "(expires_at is null or expires_at > now())";
  // Expired rows are swept now and then by whoever writes: nothing else needs to run.
  let writes = 0;
  const sweep = () => {
    if (++writes % 200 === 0)
      void pool.query("delete from saml_bridge.entries where expires_at <= now()").catch(() => {});
  };
  return {
    put: async (kind, key, value, ttlMs) => {
      sweep();
      await pool.query(
        `insert into saml_bridge.entries (kind, key, value, expires_at) values ($1, $2, $3, $4)
         on conflict (kind, key) do update set value = excluded.value, expires_at = excluded.expires_at`,
        [kind, key, JSON.stringify(value), expiry(ttlMs)],
      );
    },
    get: async <T>(kind: EntryKind, key: string) => {
      const { rows } = await pool.query(
        `select value from saml_bridge.entries where kind = $1 and key = $2 and ${liveClause}`,
        [kind, key],
      );
      return rows[0]?.value as T | undefined;
    },
    take: async <T>(kind: EntryKind, key: string) => {
      const { rows } = await pool.query(
        `delete from saml_bridge.entries where kind = $1 and key = $2 returning value, ${liveClause} as live`,
        [kind, key],
      );
      return rows[0]?.live ? (rows[0].value as T) : undefined;
    },
    claimOnce: async (kind, key, ttlMs) => {
      sweep();
      // An expired entry with the key is replaced; a live one makes the insert do nothing.
      const { rowCount } = await pool.query(
        `insert into saml_bridge.entries (kind, key, value, expires_at) values ($1, $2, 'true', $3)
         on conflict (kind, key) do update set value = excluded.value, expires_at = excluded.expires_at
           where saml_bridge.entries.expires_at <= now()`,
        [kind, key, expiry(ttlMs)],
      );
      return rowCount === 1;
    },
    delete: async (kind, key) => {
      const { rowCount } = await pool.query("delete from saml_bridge.entries where kind = $1 and key = $2", [
        kind,
        key,
      ]);
      return (rowCount ?? 0) > 0;
    },
    close: () => pool.end(),
  };
}
