import { type Context, createContextKey, trace } from "@opentelemetry/api";
import { type Sampler, SamplingDecision, type SamplingResult } from "@opentelemetry/sdk-trace-base";

/** The head-sampling ratio of the trace a new root span starts (0…1), set by whoever starts it. */
export const SAMPLE_RATE_KEY = createContextKey("nexus.sample_rate");

/**
 * Head sampling that still records what it does not sample. A child follows its parent's flag
 * (a remote parent's too, so the regions agree on a forwarded request); a root is sampled with
 * the ratio found in its context. Unsampled spans are still RECORDED, not dropped: the span
 * buffer (span-buffer.ts) keeps a trace whose head decision was "no" when one of its spans
 * failed, which is how every error is kept at any ratio.
 */
export class HeadSampler implements Sampler {
  shouldSample(context: Context, traceId: string): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent && trace.isSpanContextValid(parent)) {
      return {
        decision:
          (parent.traceFlags & 1) === 1 ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.RECORD,
      };
    }
    const rate = Number(context.getValue(SAMPLE_RATE_KEY) ?? 0);
    return {
      decision: sampledByRatio(traceId, rate) ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.RECORD,
    };
  }

  toString(): string {
    return "HeadSampler";
  }
}

/** The same rule as OTel's TraceIdRatioBased: the trace id's last 8 hex digits against the ratio. */
export function sampledByRatio(traceId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (!(rate > 0)) return false;
  const low = Number.parseInt(traceId.slice(-8), 16);
  return low < rate * 0xffffffff;
}
