/** One event of a chat turn's stream, numbered in the session. */
export interface StreamChunk {
  seq: number;
  type: string;
  data: unknown;
}

/**
 * A turn's events, each stored before it is sent, in order, without one database round trip per
 * event: chunks queued while a write is in flight go together in the next write (one multi-row
 * insert), then are sent. A model streaming faster than the database answers thus costs a write
 * per round trip, not per token, and the first token waits for one write, not for the ones before.
 *
 * A failed write fails the writer: nothing after it is sent (a client resuming from Postgres must
 * never miss an event it was sent), and push/flush throw so the turn ends.
 */
export class ChunkWriter {
  #pending: StreamChunk[] = [];
  #writing: Promise<void> | undefined;
  #failed: { error: unknown } | undefined;

  constructor(
    private readonly store: (chunks: readonly StreamChunk[]) => Promise<void>,
    private readonly send: (chunk: StreamChunk) => void,
    /** Past this many unwritten chunks, push waits for the database (memory stays bounded). */
    private readonly maxPending = 500,
  ) {}

  /** Queues a chunk: stored, then sent, after every chunk queued before it. */
  async push(chunk: StreamChunk): Promise<void> {
    if (this.#failed) throw this.#failed.error;
    this.#pending.push(chunk);
    if (!this.#writing) this.#writing = this.#drain();
    if (this.#pending.length >= this.maxPending) await this.flush();
  }

  /** Resolves once everything queued is stored and sent; throws if a write failed. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#failed) throw this.#failed.error;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0);
        await this.store(batch);
        for (const chunk of batch) this.send(chunk);
      }
    } catch (error) {
      this.#failed = { error };
      this.#pending = [];
    } finally {
      this.#writing = undefined;
    }
  }
}
