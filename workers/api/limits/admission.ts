import type { GiveBack, LayeredDecision } from "../../../durable-objects/limit-decision";
import { TtlCache } from "../lib/ttl-cache";
import { BlockedKeys } from "./blocked-keys";
import type { LayerState } from "./rate-limit-headers";

export type Policy = Pick<LayerState, "layer" | "limit" | "windowSeconds">;

export interface Admission {
  allowed: boolean;
  /** Where each layer stands for this request, as the response reports it. */
  states: LayerState[];
}

/** The most admissions an isolate asks its limiter for at once (see RateLimiter.hit). */
export const LEASE_WANT = 32;

interface Lease {
  permits: number;
  /** Per layer: the limiter's remaining count after granting the lease, and its reset (local ms). */
  layers: { policy: Policy; remaining: number; resetAt: number }[];
  /** Local ms after which no permit is handed out: never later than the limiter counted them. */
  until: number;
  /** The limiter's `countedAt`, to give unused permits back. */
  countedAt: number;
}

function statesOf(policies: readonly Policy[], result: LayeredDecision, localNow: number) {
  return policies.map((policy, i) => {
    const decision = result.decisions[i];
    if (!decision) throw new Error("rate limiter answered fewer decisions than checks");
    return {
      policy,
      allowed: decision.allowed,
      remaining: decision.remaining,
      resetAt: localNow + Math.max(0, decision.resetAt - result.now),
    };
  });
}

/**
 * Admission of requests in one isolate, in front of the tenant's RateLimiter object:
 *
 * - counters known to be full are refused here (BlockedKeys), without a round trip;
 * - far from every limit the object grants a lease of several admissions for the same subjects
 *   (tenant, credential, address), which this isolate hands out without asking again for a
 *   short while (1/16 of the shortest window): one round trip serves up to LEASE_WANT requests.
 *   Near a limit leases shrink to one admission, so every request is counted by the object and
 *   of L + k concurrent requests exactly L pass;
 * - concurrent requests for the same subjects wait for the one call in flight and share its
 *   lease, rather than each asking.
 *
 * A lease is counted before it is used, as if used at its end, so the limits hold across
 * isolates and over any window-length interval. Its time is measured from before the call that
 * got it, so neither the answer's latency nor a skew between this isolate's clock and the
 * object's makes a permit outlive its count. Permits a lease did not hand out in time are given
 * back on the next call for the same subjects; those of an isolate that then goes quiet stay
 * counted until they leave the window (at most 1/16 of the room left when granted).
 */
export class Admissions {
  private readonly blocked = new BlockedKeys();
  // Kept past their `until`, so the next call can give back what they did not hand out.
  private readonly leases = new TtlCache<Lease>(0);
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(private readonly clock: () => number = Date.now) {}

  async admit(
    keys: readonly string[],
    policies: readonly Policy[],
    ask: (want: number, back?: GiveBack) => Promise<LayeredDecision>,
  ): Promise<Admission> {
    const subjects = keys.join("\n");
    for (;;) {
      const now = this.clock();
      // A lease first: its admissions are already counted, even when another subject of the same
      // tenant has since filled the tenant layer.
      const leased = this.#take(subjects, now);
      if (leased) return { allowed: true, states: leased };
      const known = this.blocked.refusing(keys, now);
      if (known.length > 0) return { allowed: false, states: known };
      const pending = this.inflight.get(subjects);
      if (!pending) break;
      await pending;
    }

    let settle = () => {};
    this.inflight.set(
      subjects,
      new Promise<void>((resolve) => {
        settle = resolve;
      }),
    );
    try {
      const asked = this.clock();
      // Given back at most once: if the call fails they stay counted (the object may have taken
      // them back already, and twice would count too few).
      const result = await ask(LEASE_WANT, this.#leftover(subjects));
      const now = this.clock();
      const layers = statesOf(policies, result, now);
      if (!result.allowed) {
        const states = layers.map((l) => state(l, l.remaining, now, l.allowed));
        for (const [i, s] of states.entries()) {
          const key = keys[i];
          if (!s.allowed && key) this.blocked.remember(key, s, now);
        }
        return { allowed: false, states };
      }
      const spare = result.granted - 1;
      if (spare > 0) {
        const until = asked + (result.countedAt - result.now);
        this.#lease(subjects, { permits: spare, layers, until, countedAt: result.countedAt }, now);
      }
      return { allowed: true, states: layers.map((l) => state(l, l.remaining + spare, now, true)) };
    } finally {
      this.inflight.delete(subjects);
      settle();
    }
  }

  #take(subjects: string, now: number): LayerState[] | undefined {
    const lease = this.leases.get(subjects, now);
    if (!lease || lease.permits <= 0 || now >= lease.until) return undefined;
    lease.permits -= 1;
    return lease.layers.map((l) => state(l, l.remaining + lease.permits, now, true));
  }

  /** The permits of a lease whose time ran out, taken out of this isolate for good. */
  #leftover(subjects: string): GiveBack | undefined {
    const lease = this.leases.get(subjects, this.clock());
    if (!lease) return undefined;
    this.leases.delete(subjects);
    return lease.permits > 0 ? { countedAt: lease.countedAt, permits: lease.permits } : undefined;
  }

  #lease(subjects: string, lease: Lease, now: number): void {
    // Past `until` a lease's rows still count for a window: until then, giving back is worth it.
    const keepMs = lease.until - now + Math.min(...lease.layers.map((l) => l.policy.windowSeconds)) * 1000;
    this.leases.set(subjects, lease, now, keepMs);
  }
}

/** A layer as this request sees it: the limiter's count less what this isolate still holds. */
function state(
  layer: { policy: Policy; resetAt: number },
  remaining: number,
  now: number,
  allowed: boolean,
): LayerState {
  return { ...layer.policy, remaining, resetInMs: Math.max(0, layer.resetAt - now), allowed };
}
