import type pg from "pg";
import { databaseUnavailable, describeConnectionFailure, GatewayError, isPostgresError } from "../errors";
import type { Log } from "../log";
import type { DatabaseRole, FieldDescription, RawResult, Statement } from "../protocol";
import { openPostgresWire } from "./postgres-wire";
import { preparedName } from "./prepared-statements";
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

async function checkout(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    throw translate(error);
  }
}

export function createPostgresBackend(options: PostgresBackendOptions): SqlBackend {
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

  return {
    kind: "postgres",

    async query(role, statement) {
      const client = await checkout(pools.get(role));
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
      const client = await checkout(pools.get(role));
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
      const client = await checkout(pools.get(healthRole));
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
