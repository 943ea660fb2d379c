import { SpanKind } from "@opentelemetry/api";
import { tracingActive, workerTracing } from "./tracing";

/**
 * A Durable Object stub whose RPC calls each run in a client span (`RateLimiter.hit`), when the
 * request is traced; otherwise the stub itself. The object's own work is not traced (RPC carries
 * no headers to continue a trace in): the span is the caller's view, the round trip included.
 */
export function tracedStub<T extends object>(stub: T, className: string): T {
  if (!tracingActive()) return stub;
  return new Proxy(stub, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof property !== "string" || typeof value !== "function") return value;
      return (...args: unknown[]) =>
        workerTracing.inSpan(
          `${className}.${property}`,
          {
            kind: SpanKind.CLIENT,
            attributes: { "nexus.do.class": className, "nexus.do.method": property },
          },
          // Reflect.apply: on an RPC stub, `.apply` would itself be taken for a remote method.
          () => Reflect.apply(value as (...a: unknown[]) => Promise<unknown>, target, args),
        );
    },
  });
}
