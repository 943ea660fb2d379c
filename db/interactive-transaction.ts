import { Client, type NeonQueryFunction } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import {
  type Database,
  type DatabaseOptions,
  DatabaseTimeoutError,
  DEFAULT_DATABASE_TIMEOUT_MS,
  SET_TENANT_SQL,
} from "./client";
import * as schema from "./schema";

/** What a statement sent through the neon-http interface asks for (neon()'s own defaults: false). */
interface QueryOptions {
  arrayMode?: boolean;
  fullResults?: boolean;
}

interface PgResult {
  command: string;
  rowCount: number | null;
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
}

/**
 * The WebSocket tunnel of the endpoint that serves SQL over HTTP at `httpEndpoint`: our SQL
 * gateway serves both on one origin (`/sql` and `/v1`). Without an endpoint it is Neon, whose
 * driver defaults (wss://host/v2, pipelined connect) are right.
 */
function configureTunnel(client: Client, httpEndpoint: string | undefined): void {
  if (!httpEndpoint) return;
  const endpoint = new URL(httpEndpoint);
  const config = client.neonConfig;
  config.wsProxy = (host, port) => `${endpoint.host}/v1?address=${host}:${port}`;
  config.useSecureWebSocket = endpoint.protocol === "https:";
  // Our gateway relays to Postgres as it is (trust, md5…): no password pipelined before it asks.
  config.pipelineConnect = false;
  config.pipelineTLS = false;
}

/**
 * One interactive transaction on its own WebSocket connection, for work that must commit
 * together with something neon-http cannot batch with it (the idempotency record and the
 * request's own writes). Create per request: a Worker cannot reuse a connection across requests.
 *
 * Every exchange with the database (connect, each statement, COMMIT, ROLLBACK, the close) has the
 * deadline of `options.timeoutMs`. One that passes it abandons the connection: Postgres rolls back
 * what was open when the connection goes, and the caller gets a DatabaseTimeoutError (503).
 */
export class InteractiveTransaction {
  /** The first statement that failed: the transaction is aborted and can only roll back. */
  private failure: { error: unknown } | undefined;
  private finished = false;
  private tenantId: string | undefined;

  private constructor(
    private readonly client: Client,
    private readonly timeoutMs: number,
  ) {}

  static async connect(options: DatabaseOptions): Promise<InteractiveTransaction> {
    const client = new Client(options.url);
    configureTunnel(client, options.httpEndpoint);
    // A swallowed 'error' event would otherwise be thrown by the emitter; queries report it.
    client.on("error", () => {});
    const timeoutMs = options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
    try {
      await withDeadline(client.connect(), timeoutMs);
    } catch (error) {
      void client.end().catch(() => {});
      throw new Error(`Error connecting to database: ${String(error)}`, { cause: error });
    }
    return new InteractiveTransaction(client, timeoutMs);
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Several statements in one round trip (the simple query protocol), for SQL text without
   * parameters: the caller guarantees every literal in it is safe.
   */
  async script(text: string): Promise<PgResult[]> {
    const result = (await this.statement(() => this.client.query(text))) as unknown as PgResult | PgResult[];
    return Array.isArray(result) ? result : [result];
  }

  async run(text: string, params: readonly unknown[], arrayMode = false): Promise<PgResult> {
    if (text === SET_TENANT_SQL && this.tenantId !== undefined && params[0] === this.tenantId) {
      return {
        command: "SELECT",
        rowCount: 1,
        rows: [arrayMode ? [this.tenantId] : { set_config: this.tenantId }],
        fields: [{ name: "set_config", dataTypeID: 25 }],
      };
    }
    return (await this.statement(() =>
      this.client.query({ text, values: [...params], ...(arrayMode ? { rowMode: "array" } : {}) }),
    )) as unknown as PgResult;
  }

  private async statement(send: () => Promise<unknown>): Promise<unknown> {
    // After a failure Postgres refuses everything but ROLLBACK; the first error is the real one.
    if (this.failure) throw this.failure.error;
    try {
      return await this.bounded(send());
    } catch (error) {
      this.failure = { error };
      throw error;
    }
  }

  /**
   * `work` within the deadline. Past it the connection is given up (not waited for: a frozen
   * endpoint would hold the close too), so nothing more is sent on it and ROLLBACK is Postgres's.
   */
  private async bounded<T>(work: Promise<T>): Promise<T> {
    try {
      return await withDeadline(work, this.timeoutMs);
    } catch (error) {
      if (error instanceof DatabaseTimeoutError) {
        this.failure ??= { error };
        this.finished = true;
        void this.client.end().catch(() => {});
      }
      throw error;
    }
  }

  async commit(): Promise<void> {
    this.finished = true;
    await this.bounded(this.client.query("commit"));
  }

  /** A last script that ends in COMMIT: one round trip for the final statements and the commit. */
  async commitWith(script: string): Promise<void> {
    await this.script(script);
    this.finished = true;
  }

  /**
   * The caller set `app.tenant_id` to this tenant for the whole transaction: the tenant setting
   * every batch starts with (tenantBatch, tenantRead) is then answered here instead of sent.
   */
  assumeTenant(tenantId: string): void {
    this.tenantId = tenantId;
  }

  async rollback(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.bounded(this.client.query("rollback"));
  }

  /** Ends the connection; an open transaction is rolled back by Postgres when it goes. */
  async close(): Promise<void> {
    await withDeadline(this.client.end(), this.timeoutMs);
  }

  /** A drizzle database whose every statement runs inside this transaction. */
  database(): Database {
    return drizzle({ client: queryFunctionOver(this), schema }) as unknown as Database;
  }
}

/** `work`, or a DatabaseTimeoutError once `timeoutMs` has passed without its answer. */
async function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A statement made but not yet sent: neon()'s queries are lazy, so batch() can collect them. */
class PendingQuery implements PromiseLike<unknown> {
  private sent: Promise<unknown> | undefined;

  constructor(
    private readonly tx: InteractiveTransaction,
    readonly text: string,
    readonly params: readonly unknown[],
    readonly opts: QueryOptions | undefined,
  ) {}

  execute(defaults: QueryOptions = {}): Promise<unknown> {
    const arrayMode = this.opts?.arrayMode ?? defaults.arrayMode ?? false;
    const fullResults = this.opts?.fullResults ?? defaults.fullResults ?? false;
    return this.tx.run(this.text, this.params, arrayMode).then((r) => shaped(r, arrayMode, fullResults));
  }

  // biome-ignore lint/suspicious/noThenProperty: the driver's query objects are awaited like promises.
  then<A = unknown, B = never>(
    onFulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    this.sent ??= this.execute();
    return this.sent.then(onFulfilled, onRejected);
  }
}

/** The result as neon()'s HTTP mode returns it: the rows, or with fullResults the whole result. */
function shaped(result: PgResult, arrayMode: boolean, fullResults: boolean): unknown {
  if (!fullResults) return result.rows;
  return {
    command: result.command,
    rowCount: result.rowCount,
    rows: result.rows,
    fields: result.fields,
    rowAsArray: arrayMode,
  };
}

/**
 * The part of NeonQueryFunction that drizzle's neon-http session and db/ use — `query(sql,
 * params, opts)`, `transaction([...], opts)` and the tagged template — over the open transaction.
 * A `transaction([...])` here is a run of statements inside the outer transaction: atomic with
 * it, as everything of the request is.
 */
function queryFunctionOver(tx: InteractiveTransaction): NeonQueryFunction<false, false> {
  const query = (text: string, params: readonly unknown[] = [], opts?: QueryOptions) =>
    new PendingQuery(tx, text, params, opts);
  const template = (strings: TemplateStringsArray, ...values: unknown[]) =>
    query(
      strings.reduce((text, part, i) => `${text}$${i}${part}`),
      values,
    );
  const transaction = async (
    queries: PendingQuery[] | ((sql: typeof template) => PendingQuery[]),
    opts: QueryOptions = {},
  ) => {
    const list = typeof queries === "function" ? queries(template) : queries;
    const results: unknown[] = [];
    for (const q of list) results.push(await q.execute(opts));
    return results;
  };
  return Object.assign(template, { query, transaction }) as unknown as NeonQueryFunction<false, false>;
}
