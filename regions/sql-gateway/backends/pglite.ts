import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { type ParserOptions, PGlite, type Results, type SerializerOptions } from "@electric-sql/pglite";
import { btree_gin } from "@electric-sql/pglite/contrib/btree_gin";
import { unaccent } from "@electric-sql/pglite/contrib/unaccent";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { AsyncMutex, LockTimeoutError } from "../async-mutex";
import { databaseUnavailable, GatewayError, isPostgresError } from "../errors";
import type { Log } from "../log";
import type { DatabaseRole, FieldDescription, RawResult, Statement } from "../protocol";
import { PgliteWireSession } from "./pglite-wire-session";
import { beginStatement, quoteIdentifier, RESET_SESSION } from "./sql-text";
import type { SqlBackend } from "./types";

export interface PgliteBackendOptions {
  /** undefined keeps the database in memory. */
  dataDir?: string;
  /** PGlite cannot interrupt a statement; this bounds waiting for the lock and idle transactions. */
  statementTimeoutMs: number;
  log: Log;
}

/** Used for lock waits when the statement timeout is disabled. */
const DEFAULT_WAIT_MS = 60_000;
/** A health check should report "busy" quickly rather than queue behind a long transaction. */
const HEALTH_LOCK_WAIT_MS = 2_000;
/** PGLiteSocketServer's cap; the gateway's lock does the real serialisation. */
const MAX_WIRE_SESSIONS = 256;

/** Parameters arrive already in Postgres text format; PGlite must pass them on untouched. */
const textSerializers: SerializerOptions = new Proxy(
  {},
  { get: () => (value: unknown) => (typeof value === "string" ? value : String(value)) },
);

const identity = (value: string) => value;

/**
 * PGlite's result fields carry only name and type; the rest of node-postgres' FieldDef is filled
 * with "unknown" values so both backends answer in one shape.
 */
function toRawResult(result: Results<(string | null)[]>): RawResult {
  const fields: FieldDescription[] = result.fields.map((field) => ({
    name: field.name,
    tableID: 0,
    columnID: 0,
    dataTypeID: field.dataTypeID,
    dataTypeSize: -1,
    dataTypeModifier: -1,
    format: "text",
  }));
  return { fields, rows: result.rows, command: result.command ?? "", rowCount: result.rowCount ?? null };
}

function translate(error: unknown): unknown {
  if (isPostgresError(error)) return error;
  if (error instanceof LockTimeoutError) {
    return new GatewayError(503, "55P03", "PGlite is busy: its only connection stayed in use too long");
  }
  if (error instanceof Error && /PGlite is clos/.test(error.message))
    return databaseUnavailable("PGlite is closed");
  return error;
}

export async function createPgliteBackend(options: PgliteBackendOptions): Promise<SqlBackend> {
  const { log } = options;
  const waitMs = options.statementTimeoutMs > 0 ? options.statementTimeoutMs : DEFAULT_WAIT_MS;
  let dataDir: string | undefined;
  if (options.dataDir) {
    dataDir = resolve(options.dataDir);
    await mkdir(dataDir, { recursive: true });
  }
  // pgvector, unaccent and btree_gin, as the regions' Postgres have them: search's migrations
  // enable each when it is available (db/migrations/0020_resources_search.sql, 0031).
  const db = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    extensions: { vector, unaccent, btree_gin },
  });
  const superuser =
    (await db.query<{ name: string }>("select current_user as name")).rows[0]?.name ?? "postgres";

  const socketServer = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: 0,
    maxConnections: MAX_WIRE_SESSIONS,
  });
  try {
    await socketServer.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const [host, port] = socketServer.getServerConn().split(":");
  const socketAddress = { host: host ?? "127.0.0.1", port: Number(port) };
  const lock = new AsyncMutex();

  // Every type PGlite knows gets an identity parser so values stay in text format; types it does
  // not know are returned as text anyway. Rebuilt when PGlite learns new (array) types.
  let parsers: ParserOptions = {};
  let parserCount = -1;
  const queryOptions = () => {
    const oids = Object.keys(db.parsers);
    if (oids.length !== parserCount) {
      parserCount = oids.length;
      parsers = Object.fromEntries(oids.map((oid) => [oid, identity]));
    }
    return { rowMode: "array" as const, parsers, serializers: textSerializers };
  };

  const run = (statement: Statement) =>
    db.query<(string | null)[]>(statement.query, statement.params, queryOptions()).then(toRawResult);

  /**
   * Runs `work` as `role` while owning PGlite. `begin` opens the request's transaction (null: run
   * bare, only for the superuser's single statements, so VACUUM and friends keep working). However
   * it ends, PGlite is left with no transaction and default settings for the next owner.
   */
  const session = <T>(role: DatabaseRole, begin: string | null, work: () => Promise<T>): Promise<T> =>
    lock
      .run(waitMs, async () => {
        try {
          if (begin !== null) {
            await db.exec(begin);
            if (role.user !== superuser) await db.exec(`SET LOCAL ROLE ${quoteIdentifier(role.user)}`);
          }
          const result = await work();
          if (begin !== null) await db.exec("COMMIT");
          return result;
        } finally {
          try {
            if (db.isInTransaction()) await db.exec("ROLLBACK");
            await db.exec(RESET_SESSION);
          } catch (cleanupError) {
            log({
              level: "error",
              msg: "PGlite cleanup after a request failed",
              error: String(cleanupError),
            });
          }
        }
      })
      .catch((error: unknown) => {
        throw translate(error);
      });

  return {
    kind: "pglite",

    query(role, statement) {
      return session(role, role.user === superuser ? null : "BEGIN", () => run(statement));
    },

    async batch(role, statements, batchOptions) {
      if (statements.length === 0) return [];
      return session(role, beginStatement(batchOptions), async () => {
        const results: RawResult[] = [];
        for (const statement of statements) results.push(await run(statement));
        return results;
      });
    },

    async health() {
      await lock
        .run(HEALTH_LOCK_WAIT_MS, () => db.query("select 1"))
        .catch((error: unknown) => {
          throw translate(error);
        });
    },

    openWire(handlers) {
      return new PgliteWireSession(handlers, {
        address: socketAddress,
        lock,
        superuser,
        lockWaitMs: waitMs,
        idleInTransactionMs: waitMs,
        log,
      });
    },

    async close() {
      await socketServer.stop();
      // Let an in-flight request finish rather than closing PGlite under it.
      const release = await lock.acquire(waitMs).catch(() => null);
      await db.close();
      release?.();
    },
  };
}
