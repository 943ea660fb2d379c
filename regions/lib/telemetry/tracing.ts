import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { AsyncLocalStorageContextManager } from "./context-manager";
import { type OtlpResource, otlpTraceBody } from "./otlp-json";
import { HeadSampler, SAMPLE_RATE_KEY } from "./sampler";
import { TraceBuffer } from "./span-buffer";

export interface TracingOptions {
  /** Read at each export: a Worker learns its region from its first request's configuration. */
  resource: () => OtlpResource;
  /** Sends one OTLP/HTTP JSON body to the collector (an export failure is swallowed). */
  send: (body: string) => Promise<void>;
  /** Gather kept traces this long into one export (Node services); 0: each at once (Workers). */
  batchDelayMs?: number;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent (default: the active context). */
  parent?: Context;
  /** For a new root: the head-sampling ratio (children follow their parent's decision). */
  sampleRate?: number;
}

export const traceKinds = SpanKind;

/**
 * One process's (or isolate's) tracing: OpenTelemetry's SDK tracer with the head sampler and the
 * per-trace buffer of this folder, an AsyncLocalStorage context, and W3C trace context on the
 * wire. Nothing is registered globally (a test runner may load this module more than once per
 * process, and the global API refuses a second provider): spans are started through `inSpan`.
 */
export class Tracing {
  readonly #contexts = new AsyncLocalStorageContextManager();
  readonly #propagator = new W3CTraceContextPropagator();
  readonly #buffer: TraceBuffer;
  readonly #tracer: Tracer;

  constructor(options: TracingOptions) {
    this.#buffer = new TraceBuffer(
      (spans) => options.send(otlpTraceBody(options.resource(), spans)),
      options.batchDelayMs ?? 0,
    );
    const provider = new BasicTracerProvider({
      sampler: new HeadSampler(),
      spanProcessors: [this.#buffer],
    });
    this.#tracer = provider.getTracer("nexus");
  }

  active(): Context {
    return this.#contexts.active();
  }

  /** Runs `work` in a new span (ended when `work` settles; a throw marks it failed and is rethrown). */
  async inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T> | T): Promise<T> {
    let parent = options.parent ?? this.#contexts.active();
    if (options.sampleRate !== undefined) parent = parent.setValue(SAMPLE_RATE_KEY, options.sampleRate);
    const span = this.#tracer.startSpan(
      name,
      {
        kind: options.kind ?? SpanKind.INTERNAL,
        ...(options.attributes ? { attributes: options.attributes } : {}),
      },
      parent,
    );
    try {
      return await this.#contexts.with(trace.setSpan(parent, span), () => work(span));
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /** Adds attributes to the active span (none outside one). */
  annotate(attributes: Attributes): void {
    trace.getSpan(this.#contexts.active())?.setAttributes(attributes);
  }

  /** Runs `work` with `context` active (a span started elsewhere, e.g. a callback's parent). */
  withContext<T>(context: Context, work: () => T): T {
    return this.#contexts.with(context, work);
  }

  /** The remote parent a request's `traceparent` (and `tracestate`) names, if valid. */
  extract(headers: Headers): Context {
    return this.#propagator.extract(ROOT_CONTEXT, headers, {
      get: (carrier, key) => (carrier as Headers).get(key) ?? undefined,
      keys: (carrier) => {
        const names: string[] = [];
        (carrier as Headers).forEach((_value, name) => {
          names.push(name);
        });
        return names;
      },
    });
  }

  /** Same, from a plain header record (Node's IncomingHttpHeaders). */
  extractRecord(headers: Record<string, string | string[] | undefined>): Context {
    return this.#propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  }

  /** Sets `traceparent` on outgoing headers from the active (or given) context; replaces a caller's. */
  inject(headers: Headers, context: Context = this.#contexts.active()): void {
    headers.delete("traceparent");
    headers.delete("tracestate");
    const carrier: Record<string, string> = {};
    this.#propagator.inject(context, carrier, defaultTextMapSetter);
    for (const [key, value] of Object.entries(carrier)) headers.set(key, value);
  }

  /** The active span's traceparent when its trace is head-sampled (for SQL comments, the outbox). */
  sampledTraceparent(context: Context = this.#contexts.active()): string | undefined {
    const span = trace.getSpanContext(context);
    if (!span || !trace.isSpanContextValid(span) || (span.traceFlags & 1) !== 1) return undefined;
    return `00-${span.traceId}-${span.spanId}-01`;
  }

  /** `{trace_id, span_id}` of the active span for a log line; empty outside any span. */
  logIds(context: Context = this.#contexts.active()): { trace_id?: string; span_id?: string } {
    const span = trace.getSpanContext(context);
    if (!span || !trace.isSpanContextValid(span)) return {};
    return { trace_id: span.traceId, span_id: span.spanId };
  }

  /** The exports that the local root span `rootSpanId` ended (every export, without one) have ended. */
  settled(rootSpanId?: string): Promise<void> {
    return this.#buffer.settled(rootSpanId);
  }
}

/** A failed span: the error status and its type (a name or SQLSTATE, never a message). */
export function markFailed(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR });
  const code = (error as { code?: unknown } | null)?.code;
  const name = error instanceof Error ? error.name : typeof error;
  span.setAttribute("error.type", typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : name);
}

/** POSTs OTLP/HTTP JSON to `endpoint` (…/v1/traces) with `headers` (a collector's token). */
export function otlpSender(
  endpoint: string,
  headers: Record<string, string> = {},
  fetcher: typeof fetch = fetch,
): (body: string) => Promise<void> {
  return async (body) => {
    const response = await fetcher(endpoint, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body,
    });
    await response.body?.cancel();
  };
}
