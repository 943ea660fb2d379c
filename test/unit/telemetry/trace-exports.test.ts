import { describe, expect, it } from "vitest";
import { Tracing } from "../../../regions/lib/telemetry/tracing";

// Who waits for which export. In workerd a request and a Durable Object's alarm that continues
// its trace are separate I/O contexts in one isolate: each must wait only for the exports its own
// local root ended, or it awaits another context's fetch (and, once that context is gone, spun
// forever on it: the out-of-memory crash of `npm run dev` after a paid checkout).

interface Export {
  traceIds: string[];
  finish(): void;
  done: boolean;
}

function tracingWithManualExports() {
  const exports: Export[] = [];
  const tracing = new Tracing({
    resource: () => ({ "service.name": "test", "nexus.region": "eu" }),
    send: (body) =>
      new Promise<void>((resolve) => {
        const parsed = JSON.parse(body) as {
          resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[];
        };
        const entry: Export = {
          traceIds: parsed.resourceSpans.flatMap((r) =>
            r.scopeSpans.flatMap((s) => s.spans.map((span) => span.traceId)),
          ),
          done: false,
          finish: () => {
            entry.done = true;
            resolve();
          },
        };
        exports.push(entry);
      }),
  });
  return { tracing, exports };
}

const settledWithin = async (promise: Promise<void>, ms = 200) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe("trace exports belong to the local root that ended them", () => {
  it("a delivery continuing a request's trace does not wait on the request's export", async () => {
    const { tracing, exports } = tracingWithManualExports();
    let requestRoot = "";
    let traceparent = "";
    await tracing.inSpan("POST /hook", { sampleRate: 1 }, (span) => {
      requestRoot = span.spanContext().spanId;
      traceparent = `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`;
    });
    expect(exports).toHaveLength(1);

    // The alarm's delivery: a new local root under the stored traceparent, same trace.
    const parent = tracing.extract(new Headers({ traceparent }));
    let deliveryRoot = "";
    await tracing.inSpan("POST webhook", { parent }, (span) => {
      deliveryRoot = span.spanContext().spanId;
    });
    expect(exports).toHaveLength(2);
    expect(exports[1]?.traceIds).toEqual(exports[0]?.traceIds);

    // The request's export never finishes (its context is gone); the delivery's does.
    exports[1]?.finish();
    expect(await settledWithin(tracing.settled(deliveryRoot))).toBe(true);
    expect(await settledWithin(tracing.settled(requestRoot))).toBe(false);
    exports[0]?.finish();
    expect(await settledWithin(tracing.settled(requestRoot))).toBe(true);
    expect(await settledWithin(tracing.settled())).toBe(true);
  });

  it("a span ending after its request's response is the request's export", async () => {
    const { tracing, exports } = tracingWithManualExports();
    let root = "";
    let later: Promise<void> = Promise.resolve();
    let release = () => {};
    await tracing.inSpan("POST /hook", { sampleRate: 1 }, (span) => {
      root = span.spanContext().spanId;
      // waitUntil work: a child span that outlives its parent.
      later = tracing.inSpan("apply", {}, () => new Promise<void>((resolve) => (release = resolve)));
    });
    exports[0]?.finish();
    release();
    await later;
    expect(exports).toHaveLength(2);
    const waiting = tracing.settled(root);
    expect(await settledWithin(waiting, 50)).toBe(false);
    exports[1]?.finish();
    expect(await settledWithin(waiting)).toBe(true);
  });

  it("a wait ends when the exports it saw have settled, and the next wait finds nothing in flight", async () => {
    const { tracing, exports } = tracingWithManualExports();
    let root = "";
    await tracing.inSpan("GET /x", { sampleRate: 1 }, (span) => {
      root = span.spanContext().spanId;
    });
    const waiting = tracing.settled(root);
    exports[0]?.finish();
    expect(await settledWithin(waiting)).toBe(true);
    // Nothing is left in flight for this root: a second wait returns at once.
    expect(await settledWithin(tracing.settled(root), 10)).toBe(true);
  });
});
