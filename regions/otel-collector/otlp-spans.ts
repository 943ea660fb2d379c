import { z } from "zod";

/** One span as the stand-in keeps it: OTLP's fields flattened, attributes as plain values. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number;
  service: string;
  attributes: Record<string, string | number | boolean | (string | number | boolean)[]>;
}

const anyValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.object({ stringValue: z.string() }),
    z.object({ boolValue: z.boolean() }),
    z.object({ intValue: z.union([z.string(), z.number()]) }),
    z.object({ doubleValue: z.number() }),
    z.object({ arrayValue: z.object({ values: z.array(anyValue).default([]) }) }),
    z.object({}),
  ]),
);
const keyValues = z.array(z.object({ key: z.string(), value: anyValue })).default([]);
const hex = (length: number) => z.string().regex(new RegExp(`^[0-9a-f]{${length}}$`));
const nanos = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]);

/** ExportTraceServiceRequest in OTLP/JSON (what opentelemetry-js and otel-cf-workers send). */
export const exportTraceRequest = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: keyValues }).default({ attributes: [] }),
        scopeSpans: z
          .array(
            z.object({
              spans: z
                .array(
                  z.object({
                    traceId: hex(32),
                    spanId: hex(16),
                    parentSpanId: z.union([hex(16), z.literal("")]).optional(),
                    name: z.string().max(1024),
                    kind: z.number().int().min(0).max(5).default(0),
                    startTimeUnixNano: nanos,
                    endTimeUnixNano: nanos,
                    attributes: keyValues,
                    status: z
                      .object({ code: z.number().int().min(0).max(2).default(0) })
                      .default({ code: 0 }),
                  }),
                )
                .default([]),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

type Plain = string | number | boolean | (string | number | boolean)[];

function plain(value: unknown): Plain | undefined {
  const v = value as Record<string, unknown>;
  if ("stringValue" in v) return v.stringValue as string;
  if ("boolValue" in v) return v.boolValue as boolean;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return v.doubleValue as number;
  if ("arrayValue" in v) {
    const values = (v.arrayValue as { values: unknown[] }).values.map(plain);
    return values.filter((x): x is string | number | boolean => x !== undefined && !Array.isArray(x));
  }
  return undefined;
}

function attributesOf(list: { key: string; value: unknown }[]): StoredSpan["attributes"] {
  const out: StoredSpan["attributes"] = {};
  for (const { key, value } of list) {
    const p = plain(value);
    if (p !== undefined) out[key] = p;
  }
  return out;
}

/** The request's spans, flattened; throws a ZodError on a body that is not OTLP/JSON traces. */
export function spansOf(body: unknown): StoredSpan[] {
  const request = exportTraceRequest.parse(body);
  const spans: StoredSpan[] = [];
  for (const resourceSpans of request.resourceSpans) {
    const resource = attributesOf(resourceSpans.resource.attributes);
    const service =
      [resource["service.name"], resource["nexus.region"]].filter(Boolean).join(" · ") || "unknown";
    for (const scope of resourceSpans.scopeSpans) {
      for (const span of scope.spans) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ? span.parentSpanId : null,
          name: span.name,
          kind: span.kind,
          startNs: BigInt(span.startTimeUnixNano),
          endNs: BigInt(span.endTimeUnixNano),
          status: span.status.code,
          service,
          attributes: attributesOf(span.attributes),
        });
      }
    }
  }
  return spans;
}

/** A span as JSON (nanoseconds as strings, as OTLP/JSON writes them). */
export function spanJson(span: StoredSpan) {
  return { ...span, startNs: span.startNs.toString(), endNs: span.endNs.toString() };
}
