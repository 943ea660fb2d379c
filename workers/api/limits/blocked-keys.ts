import type { LayerState } from "./rate-limit-headers";

/**
 * Counters this isolate has seen refuse, until their window ends. A fixed window's count never
 * goes down before its reset, so while an entry is live the limiter would refuse too: the
 * request is refused here, without the round trip, and a tenant hammering past its limit costs
 * its Durable Object nothing. (A plan raised mid-window takes effect at the next window here.)
 */
export class BlockedKeys {
  private readonly blocked = new Map<string, { until: number; state: LayerState }>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The refusing layers among `keys`, with their time to reset as of `nowMs`. */
  refusing(keys: readonly string[], nowMs: number): LayerState[] {
    const states: LayerState[] = [];
    for (const key of keys) {
      const entry = this.blocked.get(key);
      if (!entry) continue;
      if (entry.until <= nowMs) {
        this.blocked.delete(key);
        continue;
      }
      states.push({ ...entry.state, remaining: 0, allowed: false, resetInMs: entry.until - nowMs });
    }
    return states;
  }

  remember(key: string, state: LayerState, nowMs: number): void {
    if (this.blocked.size >= this.maxEntries) {
      const oldest = this.blocked.keys().next().value;
      if (oldest !== undefined) this.blocked.delete(oldest);
    }
    this.blocked.set(key, { until: nowMs + state.resetInMs, state });
  }
}
