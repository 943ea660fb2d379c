import { toErrorResponse } from "../errors";
import type { Log } from "../log";
import type { DatabaseRole, RawResult, Statement } from "../protocol";
import type { BatchOptions, ReadBatchResult, SqlBackend } from "./types";

// Reads a client marked as replica-safe (Nexus-Read-Replica: allowed) go to a streaming replica,
// but only one that has replayed everything the primary had written when the read arrived: the
// gateway asks the primary for its WAL position first, and the replica's batch opens with a check
// of its replay position against it. A client that got a commit's answer before it sent the read
// therefore always sees that commit (read-your-writes), whichever gateway pod, Worker isolate or
// replica serves it. Anything else (replica behind, away, in conflict with recovery) falls back
// to the primary, which is always correct.

export interface ReplicaReadsOptions {
  /** The primary: writes, unmarked requests, the WAL position, and the fallback. */
  primary: SqlBackend;
  /** The replicas' Service (CloudNativePG's `-ro`): marked reads when caught up. */
  replica: SqlBackend;
  /** The primary's current WAL position as `pg_lsn` text, read after the call was made. */
  walPosition(role: DatabaseRole): Promise<string>;
  /** How long a read may wait for the replica to catch up before the primary serves it. */
  maxWaitMs: number;
  log: Log;
}

/** First statement of a replica batch: has this server replayed up to the primary's position? */
const CAUGHT_UP = "select coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)";

/** Between tries on a lagging replica: replay usually takes well under a millisecond per commit. */
const RETRY_PAUSE_MS = 2;

/**
 * Which replica failures the primary may retry: the replica being away or overloaded (503s,
 * connection classes) and recovery conflicts (40001: the standby cancelled the read to replay).
 * A statement's own error (syntax, permission, 25006 for a write) is answered as it is.
 */
function primaryMayRetry(error: unknown): boolean {
  const { status, body } = toErrorResponse(error);
  return status >= 500 || body.code === "40001";
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A backend that also serves marked reads from `replica` (types.ts, readBatch). */
export function withReplicaReads(options: ReplicaReadsOptions): SqlBackend {
  const { primary, replica, walPosition, maxWaitMs, log } = options;

  const fromPrimary = async (
    role: DatabaseRole,
    statements: Statement[],
    batchOptions: BatchOptions,
    reason: string,
  ): Promise<ReadBatchResult> => {
    log({ level: "debug", msg: "read served", servedBy: "primary", reason });
    return { results: await primary.batch(role, statements, batchOptions), servedBy: "primary" };
  };

  const readBatch = async (
    role: DatabaseRole,
    statements: Statement[],
    batchOptions: BatchOptions,
  ): Promise<ReadBatchResult> => {
    const readOnly = { ...batchOptions, readOnly: true };
    // A hot standby refuses serializable transactions; those stay on the primary.
    if (batchOptions.isolationLevel === "Serializable") {
      return fromPrimary(role, statements, readOnly, "serializable");
    }
    // The primary unreachable (a failover) fails the read: a replica alone cannot tell what a
    // client has seen committed, so serving it there could go back in time.
    const position = await walPosition(role);
    const deadline = Date.now() + maxWaitMs;
    const checked = [{ query: CAUGHT_UP, params: [position] }, ...statements];
    for (;;) {
      let results: RawResult[];
      try {
        results = await replica.batch(role, checked, readOnly);
      } catch (error) {
        if (!primaryMayRetry(error)) throw error;
        return fromPrimary(role, statements, readOnly, `replica failed: ${(error as Error).message}`);
      }
      const [check, ...rest] = results;
      if (check?.rows[0]?.[0] === "t") {
        log({ level: "debug", msg: "read served", servedBy: "replica" });
        return { results: rest, servedBy: "replica" };
      }
      if (Date.now() + RETRY_PAUSE_MS > deadline)
        return fromPrimary(role, statements, readOnly, "replica behind");
      await pause(RETRY_PAUSE_MS);
    }
  };

  return {
    kind: primary.kind,
    query: (role, statement) => primary.query(role, statement),
    batch: (role, statements, batchOptions) => primary.batch(role, statements, batchOptions),
    readBatch,
    health: () => primary.health(),
    replicaHealth: () => replica.health(),
    openWire: (handlers) => primary.openWire(handlers),
    close: async () => {
      await Promise.all([primary.close(), replica.close()]);
    },
  };
}

/**
 * A value read after the caller asked for it, shared with every caller that asked meanwhile: a
 * call arriving while a read is in flight waits for the next one (the one in flight may predate
 * a commit that caller saw), and all callers waiting for that next read share it. Under load the
 * primary answers one position query per round trip, not one per replica read.
 */
export function freshlyRead<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const current = read().finally(() => {
      if (running === current) running = undefined;
    });
    running = current;
    return current;
  };
  return () => {
    if (!running) return start();
    queued ??= running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        queued = undefined;
        return start();
      });
    return queued;
  };
}
