/**
 * At most one run per key at a time, and every caller covered by a run that began after it
 * asked: a caller asking while a run is in progress waits for that run to end and for one more,
 * started after it, which then covers whatever the caller did before asking. Callers that ask
 * meanwhile share that next run.
 *
 * Used for the after-commit publish (after-commit.ts) and the usage meter's flush: 50 creates of
 * one tenant at once used to start 50 publishers, each claiming, delivering and marking (four
 * database calls) mostly nothing but its own row; coalesced, one run claims them all. Every
 * caller's `work` does the same job for the key, so whichever caller runs it covers the others.
 * A run's failure is the run's own business (it logs); callers only wait for it to end.
 *
 * Requests share only plain memory here, never a promise (as in lib/group-commit.ts): workerd
 * ties a promise's continuations to the request that created it, so a request awaiting another
 * request's run (or its queued successor) could be dropped with that request's context
 * ("IoContext dropped queued cross-context actions"). A waiter polls with its own timers and,
 * when nobody is running, runs its own `work` in its own context. A run whose request vanished
 * mid-way (its context canceled) is taken over once it is older than `staleMs`.
 */
export class CoalescedRuns {
  readonly #states = new Map<string, KeyState>();

  constructor(
    private readonly staleMs = STALE_RUN_MS,
    private readonly maxWaitMs = MAX_WAIT_MS,
  ) {}

  run(key: string, work: () => Promise<void>): Promise<void> {
    let state = this.#states.get(key);
    if (!state) {
      state = { asked: 0, done: 0, run: 0, runningSince: undefined };
      this.#states.set(key, state);
    }
    const ticket = ++state.asked;
    if (state.runningSince === undefined) return this.#lead(key, state, work);
    return this.#wait(key, state, ticket, work);
  }

  /** Keys with a run in progress or callers waiting (for tests). */
  get size(): number {
    return this.#states.size;
  }

  /** Runs `work` now, in the caller's context, covering every ticket handed out so far. */
  #lead(key: string, state: KeyState, work: () => Promise<void>): Promise<void> {
    const run = ++state.run;
    const covers = state.asked;
    state.runningSince = Date.now();
    return work()
      .catch(() => {})
      .then(() => {
        state.done = Math.max(state.done, covers);
        // A run taken over as stale no longer owns the key.
        if (state.run === run) state.runningSince = undefined;
        if (
          state.runningSince === undefined &&
          state.done >= state.asked &&
          this.#states.get(key) === state
        ) {
          this.#states.delete(key);
        }
      });
  }

  async #wait(key: string, state: KeyState, ticket: number, work: () => Promise<void>): Promise<void> {
    const started = Date.now();
    for (let wait = 1; state.done < ticket; wait = Math.min(wait * 2, 8)) {
      const since = state.runningSince;
      if (since === undefined || Date.now() - since > this.staleMs) {
        await this.#lead(key, state, work);
        continue;
      }
      // Never forever: what a run would have done, the next run or the sweep does.
      if (Date.now() - started > this.maxWaitMs) return;
      await new Promise<void>((resolve) => setTimeout(resolve, wait));
    }
  }
}

interface KeyState {
  /** Tickets handed out (one per call). */
  asked: number;
  /** Every ticket up to this one is covered by a run that has ended. */
  done: number;
  /** The current run's number (a stale run's end must not clear its successor). */
  run: number;
  /** When the current run began; undefined while none runs. */
  runningSince: number | undefined;
}

/** A run older than this is presumed lost with its request (a publish takes well under a second). */
export const STALE_RUN_MS = 30_000;
/** How long a caller waits for runs before leaving its work to the next run or the sweep. */
export const MAX_WAIT_MS = 60_000;
