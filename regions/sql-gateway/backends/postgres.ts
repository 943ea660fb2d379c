import type pg from "pg";
import { databaseUnavailable, describeConnectionFailure, GatewayError, isPostgresError } from "../errors";
import type { Log } from "../log";
import type { DatabaseRole, FieldDescription, RawResult, Statement } from "../protocol";
import { openPostgresWire } from "./postgres-wire";
import { preparedName } from "./prepared-statements";
import { freshlyRead } from "./replica-reads";
import { RolePools, type UpstreamAddress } from "./role-pools";
import { beginStatement, SESSION_RESET } from "./sql-text";
import type { SqlBackend } from "./types";

export interface PostgresBackendOptions {
  /** postgres://[user[:password]@]host[:port][/database]; credentials, if any, are for /health only. */
  upstream: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  log: Log;
}

/** Bounds memory when many distinct credentials show up; each pool holds up to poolSize sockets. */
const MAX_POOLS = 32;

/** A Postgres backend can also say where the server's WAL is (for replica reads, replica-reads.ts). */
export interface PostgresBackend extends SqlBackend {
  /** `pg_current_wal_lsn()` as text, read after this call was made (shared by concurrent callers). */
  walPosition(role: DatabaseRole): Promise<string>;
}

export function parseUpstream(upstream: string): { address: UpstreamAddress; healthRole: DatabaseRole } {
  const scheme = /^(postgres|postgresql):\/\//i.exec(upstream);
  if (!scheme) throw new Error(`upstream must be a postgres:// URL, got ${JSON.stringify(upstream)}`);
  const url = new URL(`http://${upstream.slice(scheme[0].length)}`);
  if (!url.hostname) throw new Error("upstream URL has no host");
  const user = decodeURIComponent(url.username) || "postgres";
  const sslmode = url.searchParams.get("sslmode") ?? "disable";
  if (sslmode !== "disable" && sslmode !== "require" && sslmode !== "verify-full") {
    throw new Error(
      `upstream sslmode must be disable, require or verify-full, got ${JSON.stringify(sslmode)}`,
    );
  }
  return {
    // URL keeps IPv6 literals bracketed; net.connect wants them bare.
    address: {
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port ? Number(url.port) : 5432,
      tls: sslmode,
    },
    healthRole: {
      user,
      password: decodeURIComponent(url.password),
      database: decodeURIComponent(url.pathname.replace(/^\//, "")) || "postgres",
    },
  };
}

/**
 * The replicas' URL with what it leaves out taken from the primary's: user, password and database
 * (the health check's; a replica has the primary's roles) and sslmode. So a manifest names only
 * the replicas' host and port, and their credentials live in one place.
 */
export function replicaUpstream(replica: string, primary: string): string {
  const scheme = /^(postgres|postgresql):\/\//i;
  if (!scheme.test(replica) || !scheme.test(primary)) return replica;
  const toUrl = (value: string) => new URL(value.replace(scheme, "http://"));
  const [from, to] = [toUrl(primary), toUrl(replica)];
  if (!to.username) {
    to.username = from.username;
    to.password = from.password;
  }
  if (to.pathname === "/" || to.pathname === "") to.pathname = from.pathname;
  const sslmode = from.searchParams.get("sslmode");
  if (sslmode && !to.searchParams.has("sslmode")) to.searchParams.set("sslmode", sslmode);
  return to.toString().replace(/^http:\/\//, "postgres://");
}

type ArrayQuery = pg.QueryArrayConfig & { queryMode: "extended" };

// Always the extended protocol, as Neon does: one statement per query (no stacked statements
// smuggled in a string) and parameters never spliced into SQL text.
function arrayQuery(client: pg.ClientBase, statement: Statement): ArrayQuery {
  const name = preparedName(client, statement.query, statement.params.length > 0);
  return {
    text: statement.query,
    values: statement.params,
    rowMode: "array",
    queryMode: "extended",
    ...(name === undefined ? {} : { name }),
  };
}

/**
 * Holds the connection's socket writes until every message of `send` is queued, so they leave
 * in one write: on this VM each write to loopback cost more CPU than Postgres spent on a query.
 * node-postgres writes each protocol message separately and exposes no batching of its own.
 */
function corked<T>(client: pg.PoolClient, send: () => T): T {
  const stream = (client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } })
    .connection?.stream;
  stream?.cork?.();
  try {
    return send();
  } finally {
    stream?.uncork?.();
  }
}

/** A client that ran DEALLOCATE itself leaves our statement cache stale; that connection goes. */
const STATEMENT_MISSING = "26000";

function toRawResult(result: pg.QueryArrayResult<(string | null)[]>): RawResult {
  const fields: FieldDescription[] = result.fields.map((field) => ({
    name: field.name,
    tableID: field.tableID,
    columnID: field.columnID,
    dataTypeID: field.dataTypeID,
    dataTypeSize: field.dataTypeSize,
    dataTypeModifier: field.dataTypeModifier,
    format: "text",
  }));
  return { fields, rows: result.rows, command: result.command, rowCount: result.rowCount };
}

/** Database errors pass through; a lost or unreachable server becomes a 503, a hung one a 504. */
function translate(error: unknown): unknown {
  if (isPostgresError(error) || !(error instanceof Error)) return error;
  if (/password must be a string/i.test(error.message)) {
    // node-postgres' own complaint when the server wants a password and the URL has none.
    return new GatewayError(
      400,
      "28P01",
      "the database requires a password; put it in the connection string",
    );
  }
  if (/query read timeout/i.test(error.message)) {
    return new GatewayError(504, "57014", "the database did not answer within the statement timeout");
  }
  const reason = describeConnectionFailure(error);
  return reason ? databaseUnavailable(reason) : error;
}

/** Clients that already carry the listener below (pg-pool reuses them across checkouts). */
const guarded = new WeakSet<pg.PoolClient>();

/**
 * pg-pool listens for a client's `error` only while it is idle. A connection lost while checked
 * out (the primary killed mid-query, a failover) emits `error` with nobody listening, which
 * Node turns into an uncaught exception: the whole gateway would exit. The query in flight is
 * rejected as well and answered with a 503, so this listener only has to keep the process alive.
 */
function guard(client: pg.PoolClient, log: Log): pg.PoolClient {
  if (!guarded.has(client)) {
    guarded.add(client);
    client.on("error", (error: Error) => {
      log({ level: "warn", msg: "upstream connection lost while in use", error: error.message });
    });
  }
  return client;
}

async function checkout(pool: pg.Pool, log: Log): Promise<pg.PoolClient> {
  try {
    return guard(await pool.connect(), log);
  } catch (error) {
    throw translate(error);
  }
}

export function createPostgresBackend(options: PostgresBackendOptions): PostgresBackend {
  const { address, healthRole } = parseUpstream(options.upstream);
  const { statementTimeoutMs, connectTimeoutMs, log } = options;
  const pools = new RolePools({
    upstream: address,
    poolSize: options.poolSize,
    maxPools: MAX_POOLS,
    statementTimeoutMs,
    connectTimeoutMs,
    log,
  });

  /**
   * Returns a connection to its pool only once it is back to a clean session. Pooled connections
   * are shared by every request of a role, so a plain SET or set_config(..., false) must not leak
   * into the next request (think app.tenant_id). A connection still inside a transaction (a
   * client sent a lone BEGIN) or whose statement cache went stale is destroyed instead. The
   * reset runs after the response is on its way, so it costs throughput but not latency.
   */
  const recycle = (client: pg.PoolClient, failure: unknown, alreadyReset = false): void => {
    const stale = isPostgresError(failure) && (failure as { code?: string }).code === STATEMENT_MISSING;
    if (
      (failure !== undefined && !isPostgresError(failure)) ||
      stale ||
      client.getTransactionStatus() !== "I"
    ) {
      client.release(failure instanceof Error ? failure : true);
      return;
    }
    if (alreadyReset) {
      client.release();
      return;
    }
    client.query(SESSION_RESET).then(
      () => client.release(),
      (error: Error) => client.release(error),
    );
  };

  const readWalPosition = async (role: DatabaseRole): Promise<string> => {
    const client = await checkout(pools.get(role), log);
    let failure: unknown;
    try {
      const result = await client.query<[string]>({
        text: "select pg_current_wal_lsn()::text",
        rowMode: "array",
      });
      const position = result.rows[0]?.[0];
      if (!position) throw new GatewayError(503, "55000", "the upstream reported no WAL position");
      return position;
    } catch (error) {
      failure = error;
      throw translate(error);
    } finally {
      client.release(failure instanceof Error && !isPostgresError(failure) ? failure : undefined);
    }
  };
  // Per role: the request's own credentials read it, so nothing needs a privileged login.
  const walReaders = new Map<string, () => Promise<string>>();

  return {
    kind: "postgres",

    walPosition(role) {
      const key = JSON.stringify([role.user, role.password, role.database]);
      let reader = walReaders.get(key);
      if (!reader) {
        if (walReaders.size >= MAX_POOLS) walReaders.clear();
        reader = freshlyRead(() => readWalPosition(role));
        walReaders.set(key, reader);
      }
      return reader();
    },

    async query(role, statement) {
      const client = await checkout(pools.get(role), log);
      let failure: unknown;
      try {
        return toRawResult(await client.query(arrayQuery(client, statement)));
      } catch (error) {
        failure = error;
        throw translate(error);
      } finally {
        recycle(client, failure);
      }
    },

    async batch(role, statements, batchOptions) {
      if (statements.length === 0) return [];
      const client = await checkout(pools.get(role), log);
      let failure: unknown;
      let reset = false;
      try {
        // Pipelined (role-pools.ts) and corked into one write: BEGIN, every statement, then COMMIT
        // with the session reset. Each has its own Sync, so after a failing statement Postgres
        // refuses the rest (25P02) and COMMIT rolls back: all or nothing, as Neon's batches are.
        const pending = corked(client, () => [
          client.query(beginStatement(batchOptions)),
          ...statements.map((statement) => client.query(arrayQuery(client, statement))),
          client.query(`COMMIT; ${SESSION_RESET}`),
        ]);
        const settled = await Promise.allSettled(pending);
        reset = settled.at(-1)?.status === "fulfilled";
        const failed = settled.find((outcome) => outcome.status === "rejected");
        if (failed) throw failed.reason;
        return settled
          .slice(1, -1)
          .map((outcome) =>
            toRawResult((outcome as PromiseFulfilledResult<pg.QueryArrayResult<(string | null)[]>>).value),
          );
      } catch (error) {
        failure = error;
        throw translate(error);
      } finally {
        recycle(client, failure, reset);
      }
    },

    async health() {
      const client = await checkout(pools.get(healthRole), log);
      let failure: unknown;
      try {
        await client.query("select 1");
      } catch (error) {
        failure = error;
        throw translate(error);
      } finally {
        client.release(failure instanceof Error ? failure : undefined);
      }
    },

    openWire(handlers) {
      return openPostgresWire(handlers, { upstream: address, statementTimeoutMs, connectTimeoutMs, log });
    },

    close: () => pools.closeAll(),
  };
}
