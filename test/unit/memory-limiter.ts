import type { GiveBack, LayeredDecision, LimitCheck } from "../../durable-objects/limit-decision";
import { type Charge, decide, givenBack, Standing } from "../../durable-objects/sliding-window";

/**
 * RateLimiter.hit over a Map instead of SQLite: the same arithmetic (sliding-window.ts), so
 * Admissions can be run against it with a clock the test moves.
 */
export class MemoryLimiter {
  /** key → leavesAt → count */
  readonly rows = new Map<string, Map<number, number>>();
  readonly calls: { want: number; back?: GiveBack }[] = [];

  hit(checks: readonly LimitCheck[], want: number, back: GiveBack | undefined, now: number): LayeredDecision {
    this.calls.push({ want, back });
    if (back) for (const c of givenBack(checks, back)) this.#add(c, -c.count);
    const standings = checks.map(
      (check) =>
        new Standing(
          check,
          [...(this.rows.get(check.key) ?? new Map<number, number>())]
            .filter(([leavesAt]) => leavesAt > now)
            .map(([leavesAt, count]) => ({ leavesAt, count })),
        ),
    );
    const verdict = decide(standings, want, now);
    for (const c of verdict.charges) this.#add(c, c.count);
    const { allowed, granted, decisions, countedAt } = verdict;
    return { allowed, granted, decisions, now, countedAt };
  }

  /** Admissions of `key` still counted at `now`. */
  used(key: string, now: number): number {
    let sum = 0;
    for (const [leavesAt, count] of this.rows.get(key) ?? []) if (leavesAt > now) sum += count;
    return sum;
  }

  #add(c: Charge, delta: number): void {
    const rows = this.rows.get(c.key) ?? new Map<number, number>();
    rows.set(c.leavesAt, Math.max(0, (rows.get(c.leavesAt) ?? 0) + delta));
    this.rows.set(c.key, rows);
  }
}
