import { TtlCache } from "../lib/ttl-cache";
import type { LayerState } from "./rate-limit-headers";

/**
 * Counters this isolate has seen refuse, until the time the limiter said one more request may
 * pass (enough counted requests have left the sliding window). Until then the limiter would
 * refuse too (unless leased admissions were given back meanwhile: then this isolate refuses a
 * little early, never admits too many), so the request is refused here, without the round trip,
 * and a tenant hammering past its limit costs its Durable Object nothing. (A plan raised while
 * refused takes effect here at that time.)
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
