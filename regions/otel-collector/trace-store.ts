import type { StoredSpan } from "./otlp-spans";

export interface TraceSummary {
  traceId: string;
  root: string;
  services: string[];
  spans: number;
  errors: number;
  startedAt: string;
  durationMs: number;
}

/** Spans by trace in memory, the oldest traces dropped past `maxSpans` (a stand-in, not a store). */
export class TraceStore {
  readonly #traces = new Map<string, StoredSpan[]>();
  #count = 0;

  constructor(private readonly maxSpans: number) {}

  add(spans: readonly StoredSpan[]): void {
    for (const span of spans) {
      const list = this.#traces.get(span.traceId);
      if (list) list.push(span);
      else this.#traces.set(span.traceId, [span]);
      this.#count++;
    }
    while (this.#count > this.maxSpans) {
      const oldest = this.#traces.keys().next().value;
      if (oldest === undefined) break;
      this.#count -= this.#traces.get(oldest)?.length ?? 0;
      this.#traces.delete(oldest);
    }
  }

  trace(traceId: string): StoredSpan[] {
    return [...(this.#traces.get(traceId) ?? [])].sort((a, b) =>
      a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0,
    );
  }

  /** Newest first. */
  recent(limit: number): TraceSummary[] {
    return [...this.#traces.keys()]
      .reverse()
      .slice(0, limit)
      .map((id) => summarise(id, this.trace(id)));
  }

  clear(): void {
    this.#traces.clear();
    this.#count = 0;
  }
}

export function summarise(traceId: string, spans: readonly StoredSpan[]): TraceSummary {
  const ids = new Set(spans.map((s) => s.spanId));
  const root = spans.find((s) => s.parentSpanId === null || !ids.has(s.parentSpanId)) ?? spans[0];
  const start = spans.reduce((min, s) => (s.startNs < min ? s.startNs : min), spans[0]?.startNs ?? 0n);
  const end = spans.reduce((max, s) => (s.endNs > max ? s.endNs : max), 0n);
  return {
    traceId,
    root: root ? root.name : "",
    services: [...new Set(spans.map((s) => s.service))],
    spans: spans.length,
    errors: spans.filter((s) => s.status === 2).length,
    startedAt: new Date(Number(start / 1_000_000n)).toISOString(),
    durationMs: Number(end - start) / 1e6,
  };
}
