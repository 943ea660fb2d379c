/**
 * Group commit within an isolate: calls with the same key that arrive while a batch of that key
 * is being written ride together in the next batch. An idle key costs nothing extra (a lone call
 * is a batch of one, written at once); under a storm, one round trip and one commit carry every
 * call that queued behind the previous batch. At most one batch per key is written at a time, at
 * most `maxItems` in one.
 *
 * workerd ties every I/O object and every promise resolution to the request that made it: one
 * request cannot await a promise another request's I/O settles (the waiter is canceled as hung,
 * or the resolution itself is refused). So requests share only plain memory here. The request
 * that finds no batch being written writes one itself — its own queued call and whatever else is
 * queued — in its own context, and stops once its own call is answered; the others poll their
 * slot with their own timers and, if no one is writing when they look, write themselves.
 * A batch that throws is retried item by item, so one bad item cannot fail the others.
 */
export class GroupCommit<I, R> {
  readonly #groups = new Map<string, Group<I, R>>();

  constructor(
    private readonly write: (key: string, items: readonly I[]) => Promise<R[]>,
    private readonly maxItems = 100,
  ) {}

  async call(key: string, item: I): Promise<R> {
    let group = this.#groups.get(key);
    if (!group) {
      group = { queue: [], writing: false };
      this.#groups.set(key, group);
    }
    const slot = new Slot<R>();
    group.queue.push({ item, slot });
    const active = group;
    // Whenever no batch of the key is being written, this request writes the next one itself.
    return pollSlot(slot, SHARED_WAIT_MS, async () => {
      if (active.writing) return false;
      await this.#writeUntilAnswered(key, active, slot);
      return true;
    });
  }

  /** Keys with calls queued or being written (for tests). */
  get size(): number {
    return this.#groups.size;
  }

  async #writeUntilAnswered(key: string, group: Group<I, R>, own: Slot<R>): Promise<void> {
    group.writing = true;
    try {
      while (!own.settled && group.queue.length > 0) {
        const batch = group.queue.splice(0, this.maxItems);
        await this.#writeBatch(key, batch);
      }
    } finally {
      group.writing = false;
      if (group.queue.length === 0 && this.#groups.get(key) === group) this.#groups.delete(key);
    }
  }

  async #writeBatch(key: string, batch: Call<I, R>[]): Promise<void> {
    try {
      const results = await this.write(
        key,
        batch.map((c) => c.item),
      );
      for (const [n, c] of batch.entries()) c.slot.resolve(results[n] as R);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.slot.reject(error);
        return;
      }
      for (const c of batch) {
        try {
          const [result] = await this.write(key, [c.item]);
          c.slot.resolve(result as R);
        } catch (single) {
          c.slot.reject(single);
        }
      }
    }
  }
}

interface Call<I, R> {
  item: I;
  slot: Slot<R>;
}
interface Group<I, R> {
  queue: Call<I, R>[];
  writing: boolean;
}

/**
 * How long a request waits for work another request is doing for it before giving up: past the
 * database deadline (5 s by default), so a batch that times out answers first.
 */
export const SHARED_WAIT_MS = 15_000;

/** A result one request leaves in memory for another, read by polling (never a shared promise). */
export class Slot<T> {
  settled = false;
  #value: T | undefined;
  #error: unknown;
  #failed = false;

  resolve(value: T): void {
    if (this.settled) return;
    this.#value = value;
    this.settled = true;
  }

  reject(error: unknown): void {
    if (this.settled) return;
    this.#error = error;
    this.#failed = true;
    this.settled = true;
  }

  get failed(): boolean {
    return this.#failed;
  }

  result(): T {
    if (this.#failed) throw this.#error;
    return this.#value as T;
  }
}

/**
 * Polls `slot` with this request's own timers (1, 2, 4, then every 8 ms) until it is settled or
 * `ms` have passed. `work`, when given, runs before each wait and answers whether it did
 * something (then the slot is looked at again at once).
 */
export async function pollSlot<T>(
  slot: Slot<T>,
  ms = SHARED_WAIT_MS,
  work?: () => Promise<boolean>,
): Promise<T> {
  const started = Date.now();
  for (let wait = 1; !slot.settled; wait = Math.min(wait * 2, 8)) {
    if (Date.now() - started > ms) throw new Error(`waited ${ms} ms for another request's write`);
    if (!(await work?.())) await sleep(wait);
  }
  return slot.result();
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
