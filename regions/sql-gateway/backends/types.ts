import type { DatabaseRole, IsolationLevel, RawResult, Statement } from "../protocol";

export interface BatchOptions {
  isolationLevel?: IsolationLevel;
  readOnly?: boolean;
  deferrable?: boolean;
}

/** A marked read's results, and which server answered it (the `Nexus-Served-By` header). */
export interface ReadBatchResult {
  results: RawResult[];
  servedBy: "primary" | "replica";
}

/** What the relay hears back from one wire connection. */
export interface WireHandlers {
  /** Database → client bytes, in order. */
  onData(chunk: Buffer): void;
  /** The database side is closed; no more data follows. */
  onClose(error?: Error): void;
  /** A write that returned false has been flushed; the client may send again. */
  onDrain(): void;
}

/** One client's raw Postgres wire-protocol session, tunnelled over a WebSocket. */
export interface WireConnection {
  /** Client → database bytes. Returns false when the caller should stop reading for a while. */
  write(chunk: Buffer): boolean;
  /** The client is gone: finish cleanly and close the database side. */
  end(): void;
  /** Backpressure from the client side: stop/start reading from the database. */
  pause(): void;
  resume(): void;
}

/**
 * A database the gateway fronts. Backends throw Postgres errors (from the database) or
 * GatewayError (their own decisions, e.g. the database is unreachable); see errors.ts.
 */
export interface SqlBackend {
  readonly kind: "postgres" | "pglite";
  /** One statement, autocommit. */
  query(role: DatabaseRole, statement: Statement): Promise<RawResult>;
  /** All statements in one transaction; any error rolls the whole batch back. */
  batch(role: DatabaseRole, statements: Statement[], options: BatchOptions): Promise<RawResult[]>;
  /**
   * A batch the client marked replica-safe (replica-reads.ts), always read-only. Absent: the
   * gateway has no replica, and `batch` serves it read-only on the primary.
   */
  readBatch?(role: DatabaseRole, statements: Statement[], options: BatchOptions): Promise<ReadBatchResult>;
  /** Resolves when a trivial query works. */
  health(): Promise<void>;
  /** The same for the replica, where there is one (reported by GET /health, not its status). */
  replicaHealth?(): Promise<void>;
  openWire(handlers: WireHandlers): WireConnection;
  close(): Promise<void>;
}
