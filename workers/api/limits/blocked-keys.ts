import { TtlCache } from "../lib/ttl-cache";
import type { LayerState } from "./rate-limit-headers";

/**
 * Counters this isolate has seen refuse, until their window ends. A fixed window's count never
 * goes down before its reset, so while an entry is live the limiter would refuse too: the
 * request is refused here, without the round trip, and a tenant hammering past its limit costs
 * its Durable Object nothing. (A plan raised mid-window takes effect at the next window here.)
 */
export class BlockedKeys {
  // Each entry lives exactly until its window's reset.
  private readonly blocked = new TtlCache<{ until: number; state: LayerState }>(0);

  /** The refusing layers among `keys`, with their time to reset as of `nowMs`. */
  refusing(keys: readonly string[], nowMs: number): LayerState[] {
    const states: LayerState[] = [];
    for (const key of keys) {
      const entry = this.blocked.get(key, nowMs);
      if (entry)
        states.push({ ...entry.state, remaining: 0, allowed: false, resetInMs: entry.until - nowMs });
    }
    return states;
  }

  remember(key: string, state: LayerState, nowMs: number): void {
    this.blocked.set(key, { until: nowMs + state.resetInMs, state }, nowMs, state.resetInMs);
  }
}
