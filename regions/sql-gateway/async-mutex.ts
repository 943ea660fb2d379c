// A FIFO lock whose waiters give up after a deadline. PGlite is one Postgres session shared by
// every HTTP request and WebSocket client; this lock decides who owns that session right now.

export class LockTimeoutError extends Error {
  override name = "LockTimeoutError";
}

interface Waiter {
  grant: (release: () => void) => void;
}

export class AsyncMutex {
  #held = false;
  readonly #waiters: Waiter[] = [];

  get isHeld(): boolean {
    return this.#held;
  }

  /**
   * Resolves with a release function once the lock is ours. Rejects with LockTimeoutError after
   * `timeoutMs`, or with the signal's reason if it aborts first; either way the place in the
   * queue is given up.
   */
  acquire(timeoutMs: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const giveUp = (error: unknown) => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        cleanup();
        reject(error);
      };
      const onAbort = () => giveUp(signal?.reason);
      const timer = setTimeout(
        () => giveUp(new LockTimeoutError(`lock not acquired within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        grant: (release) => {
          cleanup();
          resolve(release);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  async run<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(timeoutMs);
    try {
      return await work();
    } finally {
      release();
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next.grant(this.#releaser());
      else this.#held = false;
    };
  }
}
