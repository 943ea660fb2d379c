import type { RegionId } from "../regions/registry";
import { type PlacementOptions, placedStub } from "./placement";
import type {
  LayeredDecision,
  LimitCheck,
  LimitDecision,
  RateLimiter,
  Streak,
  StreakCheck,
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

/** Checks and counts all of a request's layers in the subject's object (up to `want` at once). */
export function hitRateLimits(
  namespace: DurableObjectNamespace<RateLimiter>,
  placement: { region: RegionId } & PlacementOptions,
  subject: string,
  checks: readonly LimitCheck[],
  want = 1,
): Promise<LayeredDecision> {
  return placedStub(namespace, placement.region, subject, placement).hit(checks, want);
}

/** The subject's failure streaks (see RateLimiter.streaks). */
export function readStreaks(
  namespace: DurableObjectNamespace<RateLimiter>,
  placement: { region: RegionId } & PlacementOptions,
  subject: string,
  checks: readonly StreakCheck[],
): Promise<Streak[]> {
  return placedStub(namespace, placement.region, subject, placement).streaks(checks);
}

/** One more failure in each of the subject's streaks. */
export function recordFailure(
  namespace: DurableObjectNamespace<RateLimiter>,
  placement: { region: RegionId } & PlacementOptions,
  subject: string,
  checks: readonly StreakCheck[],
): Promise<Streak[]> {
  return placedStub(namespace, placement.region, subject, placement).failed(checks);
}

/** Ends the subject's streaks under these keys. */
export function clearStreaks(
  namespace: DurableObjectNamespace<RateLimiter>,
  placement: { region: RegionId } & PlacementOptions,
  subject: string,
  keys: readonly string[],
): Promise<void> {
  return placedStub(namespace, placement.region, subject, placement).cleared(keys);
}
