import { type Attributes, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { workerTracing } from "./tracing";

export interface RemoteTraceSpan {
  /** Sets this span's traceparent on an outgoing request. */
  inject(headers: Headers): void;
  /** The call's HTTP status (null: no response) and whether it counts as a success. */
  outcome(status: number | null, ok: boolean): void;
}

/**
 * Work done later on behalf of a traced request (a webhook delivery from a Durable Object's
 * alarm), as a client span whose parent is the traceparent stored with the work. Without one
 * (the request was not sampled, or tracing is off) `work` runs untraced with no span.
 */
export async function inRemoteTrace<T>(
  traceparent: string | null,
  name: string,
  attributes: Attributes,
  work: (span: RemoteTraceSpan | undefined) => Promise<T>,
): Promise<T> {
  if (!traceparent) return work(undefined);
  const parent = workerTracing.extract(new Headers({ traceparent }));
  let rootSpanId = "";
  try {
    return await workerTracing.inSpan(name, { kind: SpanKind.CLIENT, parent, attributes }, (span) => {
      rootSpanId = span.spanContext().spanId;
      return work({
        inject: (headers) => workerTracing.inject(headers),
        outcome: (status, ok) => {
          if (status !== null) span.setAttribute("http.response.status_code", status);
          if (!ok) {
            span.setStatus({ code: SpanStatusCode.ERROR });
            span.setAttribute("error.type", status === null ? "no response" : String(status));
          }
        },
      });
    });
  } finally {
    // Its export ends in this (the object's) context, not in the request's that began the trace.
    await workerTracing.settled(rootSpanId);
  }
}
