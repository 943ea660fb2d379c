import type { Attributes, AttributeValue, HrTime } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { exportedAttributes } from "./span-attributes";

/**
 * OTLP/HTTP JSON (opentelemetry-proto's JSON mapping: ids as hex, times as decimal strings of
 * nanoseconds, enums as numbers) for a batch of spans of one service. Written here rather than
 * taken from @opentelemetry/otlp-transformer, which brings protobufjs into the Worker bundle.
 * Only allow-listed attributes are written (span-attributes.ts); events and links are not
 * exported (nothing here records them).
 */
export interface OtlpResource {
  "service.name": string;
  "nexus.region": string;
  "deployment.environment.name"?: string;
}

type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } };

function anyValue(value: AttributeValue): AnyValue {
  if (Array.isArray(value)) {
    return {
      arrayValue: {
        values: value.filter((v) => v !== null && v !== undefined).map((v) => anyValue(v as AttributeValue)),
      },
    };
  }
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number")
    return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { stringValue: String(value) };
}

function keyValues(attributes: Attributes) {
  return Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ({ key, value: anyValue(value as AttributeValue) }));
}

const nanos = ([seconds, nanoseconds]: HrTime) =>
  (BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds)).toString();

/** SpanKind (api: INTERNAL=0 … CONSUMER=4) → OTLP's (UNSPECIFIED=0, INTERNAL=1 … CONSUMER=5). */
const otlpKind = (kind: number) => kind + 1;

export function otlpTraceBody(resource: OtlpResource, spans: readonly ReadableSpan[]): string {
  const scopes = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    const name = span.instrumentationScope.name;
    scopes.set(name, [...(scopes.get(name) ?? []), span]);
  }
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: keyValues(resource as unknown as Attributes) },
        scopeSpans: [...scopes].map(([name, scoped]) => ({
          scope: { name },
          spans: scoped.map((span) => {
            const context = span.spanContext();
            const parent = span.parentSpanContext;
            return {
              traceId: context.traceId,
              spanId: context.spanId,
              ...(parent ? { parentSpanId: parent.spanId } : {}),
              flags: context.traceFlags,
              name: span.name,
              kind: otlpKind(span.kind),
              startTimeUnixNano: nanos(span.startTime),
              endTimeUnixNano: nanos(span.endTime),
              attributes: keyValues(exportedAttributes(span.attributes)),
              // The code only: a status message is free text, and error.type names the failure.
              status: { code: span.status.code },
            };
          }),
        })),
      },
    ],
  });
}
