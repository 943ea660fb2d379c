import type { LayeredDecision } from "../../../durable-objects/limit-decision";
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
  /** The lease ends with the first of its windows: a permit never crosses into a new window. */
  until: number;
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
 *   (tenant, credential, address), which this isolate hands out without asking again: one round
 *   trip serves up to LEASE_WANT requests. Near a limit leases shrink to one admission, so every
 *   request is counted by the object and of L + k concurrent requests exactly L pass;
 * - concurrent requests for the same subjects wait for the one call in flight and share its
 *   lease, rather than each asking.
 *
 * A lease counts its admissions before they are used, so the limits hold across isolates; the
 * price is that admissions leased to an isolate that then goes quiet are lost for the rest of
 * their window (at most 1/16 of the room left when it was granted).
 */
export class Admissions {
  private readonly blocked = new BlockedKeys();
  // Each lease lives until the first of its windows ends.
  private readonly leases = new TtlCache<Lease>(0);
  private readonly inflight = new Map<string, Promise<void>>();

  async admit(
    keys: readonly string[],
    policies: readonly Policy[],
    ask: (want: number) => Promise<LayeredDecision>,
  ): Promise<Admission> {
    const subjects = keys.join("\n");
    for (;;) {
      const now = Date.now();
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
      const result = await ask(LEASE_WANT);
      const now = Date.now();
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
        const until = Math.min(...layers.map((l) => l.resetAt));
        this.#lease(subjects, { permits: spare, layers, until }, now);
      }
      return { allowed: true, states: layers.map((l) => state(l, l.remaining + spare, now, true)) };
    } finally {
      this.inflight.delete(subjects);
      settle();
    }
  }

  #take(subjects: string, now: number): LayerState[] | undefined {
    const lease = this.leases.get(subjects, now);
    if (!lease) return undefined;
    if (lease.permits <= 0) {
      this.leases.delete(subjects);
      return undefined;
    }
    lease.permits -= 1;
    return lease.layers.map((l) => state(l, l.remaining + lease.permits, now, true));
  }

  #lease(subjects: string, lease: Lease, now: number): void {
    this.leases.set(subjects, lease, now, lease.until - now);
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
