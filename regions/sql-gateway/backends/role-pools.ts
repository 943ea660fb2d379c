import pg, { type CustomTypesConfig } from "pg";
import type { Log } from "../log";
import type { DatabaseRole } from "../protocol";

export interface UpstreamAddress {
  host: string;
  port: number;
  /**
   * TLS towards Postgres, from the upstream URL's `sslmode` (libpq's names): `disable` (plain),
   * `require` (encrypted, certificate not checked), `verify-full` (checked, with SNI — what
   * Neon needs, since it routes connections by server name).
   */
  tls: "disable" | "require" | "verify-full";
}

export interface RolePoolsOptions {
  upstream: UpstreamAddress;
  /** Connections per role. */
  poolSize: number;
  /** Distinct (user, password, database) pools kept before idle ones are closed. */
  maxPools: number;
  /** 0 disables. Sent as a startup parameter, so it also bounds BEGIN/COMMIT. */
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  log: Log;
}

/**
 * Every column comes back exactly as Postgres sent it: the gateway forwards text, and the client
 * driver (with its own type parsers) decides what it means.
 */
const rawText: CustomTypesConfig = {
  getTypeParser: (() => (value: string) => value) as unknown as CustomTypesConfig["getTypeParser"],
};

/** Beyond the statement timeout, how long a silent server may take before the client gives up. */
const READ_TIMEOUT_MARGIN_MS = 5_000;

/**
 * One pg Pool per set of credentials, all pointing at the single configured upstream. The
 * credentials are checked by Postgres itself; the gateway never decides who may log in.
 */
export class RolePools {
  readonly #pools = new Map<string, pg.Pool>();
  readonly #options: RolePoolsOptions;

  constructor(options: RolePoolsOptions) {
    this.#options = options;
  }

  get(role: DatabaseRole): pg.Pool {
    const key = JSON.stringify([role.user, role.password, role.database]);
    const existing = this.#pools.get(key);
    if (existing) {
      // Map order doubles as recency order for eviction.
      this.#pools.delete(key);
      this.#pools.set(key, existing);
      return existing;
    }
    const pool = this.#create(role);
    this.#pools.set(key, pool);
    this.#evictIdle(key);
    return pool;
  }

  async closeAll(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(pools.map((pool) => pool.end()));
  }

  #create(role: DatabaseRole): pg.Pool {
    const { upstream, poolSize, statementTimeoutMs, connectTimeoutMs, log } = this.#options;
    const pool = new pg.Pool({
      host: upstream.host,
      port: upstream.port,
      user: role.user,
      password: role.password,
      database: role.database,
      max: poolSize,
      idleTimeoutMillis: 30_000,
      // Also bounds the wait for a free connection, so an overloaded pool answers 503, not never.
      connectionTimeoutMillis: connectTimeoutMs,
      keepAlive: true,
      application_name: "sql-gateway",
      // Queries are written without waiting for the previous answer, so a batch (BEGIN, its
      // statements, COMMIT) costs one round trip instead of one per statement.
      pipeline: true,
      ...(upstream.tls === "disable"
        ? {}
        : { ssl: { servername: upstream.host, rejectUnauthorized: upstream.tls === "verify-full" } }),
      types: rawText,
      ...(statementTimeoutMs > 0
        ? {
            statement_timeout: statementTimeoutMs,
            query_timeout: statementTimeoutMs + READ_TIMEOUT_MARGIN_MS,
          }
        : {}),
    });
    // An idle connection dropped by the server must not crash the process; pg-pool discards it.
    pool.on("error", (error) => {
      log({ level: "warn", msg: "idle upstream connection failed", user: role.user, error: error.message });
    });
    return pool;
  }

  /** Closes least recently used pools over the cap, but never one in use or the one just made. */
  #evictIdle(keep: string): void {
    for (const [key, pool] of this.#pools) {
      if (this.#pools.size <= this.#options.maxPools) return;
      const busy = pool.waitingCount > 0 || pool.totalCount > pool.idleCount;
      if (busy || key === keep) continue;
      this.#pools.delete(key);
      void pool.end().catch(() => {});
    }
  }
}
