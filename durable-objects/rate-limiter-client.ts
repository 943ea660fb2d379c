import type { RegionId } from "../regions/registry";
import { type PlacementOptions, placedStub } from "./placement";
import type {
  BackoffCheck,
  GiveBack,
  LayeredDecision,
  LimitCheck,
  LimitDecision,
  RateLimiter,
} from "./rate-limiter";

/** One counter object per limited subject (`tenant:<id>`, `ip:<prefix>`, …), placed by region. */
export function consumeRateLimit(
  namespace: DurableObjectNamespace<RateLimiter>,
  placement: { region: RegionId } & PlacementOptions,
  subject: string,
  policy: { name: string; limit: number; windowMs: number },
): Promise<LimitDecision> {
  return placedStub(namespace, placement.region, subject, placement).consume(
    policy.name,
    policy.limit,
    policy.windowMs,
  );
}

/** Where a subject's policy stands, without counting a hit (see RateLimiter.peek). */
export function peekRateLimit(
  namespace: DurableObjectNamespace<RateLimiter>,
  placement: { region: RegionId } & PlacementOptions,
  subject: string,
  policy: { name: string; limit: number; windowMs: number },
): Promise<LimitDecision> {
  return placedStub(namespace, placement.region, subject, placement).peek(
    policy.name,
    policy.limit,
    policy.windowMs,
  );
}

/**
 * Checks and counts all of a request's layers in the subject's object (up to `want` at once),
 * first returning `back`, a previous lease's unused admissions.
 */
export function hitRateLimits(
  namespace: DurableObjectNamespace<RateLimiter>,
  placement: { region: RegionId } & PlacementOptions,
  subject: string,
  checks: readonly LimitCheck[],
  want = 1,
  back?: GiveBack,
): Promise<LayeredDecision> {
  return placedStub(namespace, placement.region, subject, placement).hit(checks, want, back);
}

/** One attempt against the subject's growing delays, counted in advance (see RateLimiter.attempt). */
export function attemptBackoff(
  namespace: DurableObjectNamespace<RateLimiter>,
  placement: { region: RegionId } & PlacementOptions,
  subject: string,
  checks: readonly BackoffCheck[],
): Promise<{ allowed: boolean; retryAt: number }> {
  return placedStub(namespace, placement.region, subject, placement).attempt(checks);
}

/** An attempt that was not a failure: clears or takes back its streaks (see RateLimiter.settled). */
export function settleBackoff(
  namespace: DurableObjectNamespace<RateLimiter>,
  placement: { region: RegionId } & PlacementOptions,
  subject: string,
  outcome: { clear: readonly string[]; undo: readonly string[] },
): Promise<void> {
  return placedStub(namespace, placement.region, subject, placement).settled(outcome.clear, outcome.undo);
}
