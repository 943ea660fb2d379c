import { type Context, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { RecentMap } from "./recent-map";

interface BufferedTrace {
  spans: ReadableSpan[];
  /** Local roots (spans without a parent in this process) still open. */
  openRoots: number;
  /** Head-sampled, or a span of it failed. */
  keep: boolean;
}

/** Traces held at once; past it the oldest is dropped unexported (a root that never ends). */
const MAX_TRACES = 2_000;
/** Spans per export when batching (a collector's usual request size). */
const MAX_BATCH_SPANS = 512;
/** Decisions remembered for spans that end after their trace's root (work after the response). */
const MAX_DECISIONS = 2_000;

/**
 * Holds each trace's ended spans in memory until the last of its local roots ends, then exports
 * the trace if it was head-sampled or any of its spans has an error status, and forgets it
 * otherwise: head sampling with every error kept, decided per process. A span that ends after
 * its trace was decided (waitUntil work after the response) is exported alone under the same
 * decision. Export calls are tracked so a caller can wait for them (`settled`).
 *
 * An export belongs to the local root whose span ended it, not to its trace: one trace can have
 * several local roots in one isolate (a request, then a Durable Object's webhook delivery that
 * continues its trace), and in workerd each lives in its own I/O context. A delivery that waited
 * on the request's export would await a fetch of another context; and once that context is gone
 * the export's own bookkeeping never runs, so waiting by trace spun forever on a settled promise
 * (found as an out-of-memory crash of `npm run dev` after a paid checkout).
 */
export class TraceBuffer implements SpanProcessor {
  readonly #traces = new Map<string, BufferedTrace>();
  readonly #decided = new RecentMap<string, boolean>(MAX_DECISIONS);
  /** Exports under way, by owning local root span: a Worker request waits only on its own. */
  readonly #inFlight = new Map<string, Set<Promise<void>>>();
  /**
   * Span → the span id of its local root in this process. Keyed by the span object and weakly
   * held, so it needs no bound: a FIFO-bounded Map evicting its first key on every span cost a
   * scan over the deleted slots V8 leaves at a Map's front, most of the tracer's time per request.
   */
  readonly #owners = new WeakMap<object, string>();
  readonly #export: (spans: ReadableSpan[]) => Promise<void>;
  readonly #batchDelayMs: number;
  #batch: ReadableSpan[] = [];
  #batchTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * `batchDelayMs` > 0 (a long-running Node service) gathers kept traces for that long into one
   * export; 0 (a Worker, whose request must not end before its export) sends each at once.
   */
  constructor(exportSpans: (spans: ReadableSpan[]) => Promise<void>, batchDelayMs = 0) {
    this.#export = exportSpans;
    this.#batchDelayMs = batchDelayMs;
  }

  onStart(span: Span, parentContext: Context): void {
    const { traceId, spanId } = span.spanContext();
    const root = isLocalRoot(span);
    // A local root owns itself; any other span, its parent's owner (the parent is local).
    const parent = trace.getSpan(parentContext);
    const parentId = (span as unknown as ReadableSpan).parentSpanContext?.spanId ?? spanId;
    this.#owners.set(span, root ? spanId : ((parent && this.#owners.get(parent)) ?? parentId));
    let entry = this.#traces.get(traceId);
    if (!entry) {
      entry = { spans: [], openRoots: 0, keep: this.#decided.get(traceId) ?? false };
      this.#traces.set(traceId, entry);
      if (this.#traces.size > MAX_TRACES) {
        const oldest = this.#traces.keys().next().value;
        if (oldest !== undefined) this.#traces.delete(oldest);
      }
    }
    if (root) entry.openRoots++;
  }

  onEnd(span: ReadableSpan): void {
    const { traceId, traceFlags } = span.spanContext();
    const entry = this.#traces.get(traceId);
    if (!entry) {
      // Started before its trace was decided, ended after (work that outlived the response).
      const keep = this.#decided.get(traceId);
      if (keep || span.status.code === SpanStatusCode.ERROR) this.#send(this.#ownerOf(span), [span]);
      return;
    }
    entry.spans.push(span);
    if ((traceFlags & 1) === 1 || span.status.code === SpanStatusCode.ERROR) entry.keep = true;
    if (isLocalRoot(span)) entry.openRoots--;
    if (entry.openRoots <= 0) this.#decide(traceId, entry, this.#ownerOf(span));
  }

  #ownerOf(span: ReadableSpan): string {
    return this.#owners.get(span) ?? span.spanContext().spanId;
  }

  #decide(traceId: string, entry: BufferedTrace, owner: string): void {
    this.#traces.delete(traceId);
    this.#decided.set(traceId, entry.keep);
    if (!entry.keep || entry.spans.length === 0) return;
    if (this.#batchDelayMs <= 0) {
      this.#send(owner, entry.spans);
      return;
    }
    this.#batch.push(...entry.spans);
    if (this.#batch.length >= MAX_BATCH_SPANS) {
      this.#flushBatch();
      return;
    }
    this.#batchTimer ??= setTimeout(() => this.#flushBatch(), this.#batchDelayMs);
  }

  #flushBatch(): void {
    clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    const spans = this.#batch;
    this.#batch = [];
    if (spans.length > 0) this.#send("", spans);
  }

  #send(owner: string, spans: ReadableSpan[]): void {
    const sending = this.#export(spans).catch(() => {});
    let pending = this.#inFlight.get(owner);
    if (!pending) {
      pending = new Set();
      this.#inFlight.set(owner, pending);
    }
    pending.add(sending);
    sending.finally(() => this.#forget(owner, sending));
  }

  #forget(owner: string, sending: Promise<void>): void {
    const set = this.#inFlight.get(owner);
    if (!set) return;
    set.delete(sending);
    if (set.size === 0) this.#inFlight.delete(owner);
  }

  /**
   * Resolves once the exports owned by the local root span `rootSpanId` (every export, without
   * one) have ended. A Worker passes its own root's to waitUntil: awaiting another request's
   * fetch would cross I/O contexts, which workerd does not allow. An export awaited here is
   * forgotten here too, so a waiter never depends on a callback of another context.
   */
  async settled(rootSpanId?: string): Promise<void> {
    this.#flushBatch();
    for (;;) {
      const owners = rootSpanId === undefined ? [...this.#inFlight.keys()] : [rootSpanId];
      const pending = owners.flatMap((owner) =>
        [...(this.#inFlight.get(owner) ?? [])].map((sending) => ({ owner, sending })),
      );
      if (pending.length === 0) return;
      await Promise.allSettled(pending.map((p) => p.sending));
      for (const { owner, sending } of pending) this.#forget(owner, sending);
    }
  }

  forceFlush(): Promise<void> {
    return this.settled();
  }

  shutdown(): Promise<void> {
    return this.settled();
  }
}

function isLocalRoot(span: ReadableSpan | Span): boolean {
  const parent = (span as ReadableSpan).parentSpanContext;
  return parent === undefined || parent.isRemote === true;
}
