import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { traceIdOfComment } from "../../regions/lib/telemetry/sqlcommenter";
import { localMetricPoints } from "../../workers/api/observability/metrics";
import { callWith, tokenFor } from "./helpers";
import { ownerSql } from "./outbox-helpers";

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  status: number;
  service: string;
  attributes: Record<string, unknown>;
}

const collector = () => inject("collectorUrl");
/** This deployment, tracing to the collector stand-in with the given head-sampling ratio. */
const traced = (sampleRate: string, extra: Record<string, string> = {}): Partial<Env> => ({
  TRACES_ENDPOINT: `${collector()}/v1/traces`,
  TRACES_SAMPLE_RATE: sampleRate,
  ...extra,
});

async function spansOf(traceId: string): Promise<ExportedSpan[]> {
  const res = await fetch(`${collector()}/api/traces/${traceId}`);
  return ((await res.json()) as { spans: ExportedSpan[] }).spans;
}

/** The trace's spans once `ready` holds for them (the gateway's arrive on their own). */
async function settledSpans(traceId: string, ready: (spans: ExportedSpan[]) => boolean) {
  let spans: ExportedSpan[] = [];
  await expect
    .poll(
      async () => {
        spans = await spansOf(traceId);
        return ready(spans);
      },
      { timeout: 5_000 },
    )
    .toBe(true);
  return spans;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("tracing in the Worker", () => {
  it("exports a sampled request's spans: the request, its Durable Object calls, each SQL batch and the gateway's", async () => {
    const marker = `trace-${crypto.randomUUID()}@example.com`;
    const res = await callWith(traced("1"), `/api/v1/crm/contacts?email=${encodeURIComponent(marker)}`, {
      token: await tokenFor(),
    });
    expect(res.status).toBe(200);
    const traceId = res.headers.get("Nexus-Trace-Id") ?? "";
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const spans = await settledSpans(traceId, (s) => s.some((span) => span.service === "sql-gateway · eu"));
    const server = spans.find((s) => s.kind === 2 && s.service === "nexus-api · eu");
    expect(server).toMatchObject({
      name: "GET /api/v1/crm/contacts",
      parentSpanId: null,
      attributes: { "http.route": "/api/v1/crm/contacts", "http.response.status_code": 200 },
    });
    // The rate limiter's RPC, from the caller's side.
    expect(spans.some((s) => s.name === "RateLimiter.hit" && s.parentSpanId !== null)).toBe(true);
    // Every SQL batch: a client span, its statements named (not written out), commented for Postgres.
    const batches = spans.filter((s) => s.name === "sql batch");
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) {
      expect(batch.attributes).toMatchObject({ "db.system.name": "postgresql", "nexus.sql.commented": true });
      expect(String(batch.attributes["db.query.summary"])).toMatch(/#[0-9a-f]{8}/);
    }
    // The gateway continued each batch's span (its parent is one of them) and saw the comments.
    const gateway = spans.filter((s) => s.service === "sql-gateway · eu");
    const batchIds = new Set(batches.map((b) => b.spanId));
    for (const span of gateway) {
      expect(batchIds.has(span.parentSpanId ?? "")).toBe(true);
      expect(span.attributes["nexus.sql.commented"]).toBe(true);
    }
    // No span holds the URL's query (the filter value) or anything like it.
    expect(JSON.stringify(spans)).not.toContain(marker);
    expect(JSON.stringify(spans)).not.toContain("example.com");
  });

  it("exports nothing of an unsampled request that succeeded", async () => {
    const res = await callWith(traced("0"), "/api/v1/crm/contacts?limit=1", { token: await tokenFor() });
    expect(res.status).toBe(200);
    const traceId = res.headers.get("Nexus-Trace-Id") ?? "";
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    // The sampled request of the same shape above reached the collector within this time.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await spansOf(traceId)).toEqual([]);
  });

  it("keeps an unsampled request's trace when it failed", async () => {
    const res = await callWith(
      traced("0", { DATABASE_HTTP_URL: "http://127.0.0.1:9/sql", DATABASE_TIMEOUT_MS: "500" }),
      "/api/v1/crm/contacts",
      { token: await tokenFor() },
    );
    expect(res.status).toBe(503);
    const traceId = res.headers.get("Nexus-Trace-Id") ?? "";
    const spans = await settledSpans(traceId, (s) => s.length > 0);
    const server = spans.find((s) => s.kind === 2);
    expect(server).toMatchObject({ status: 2, attributes: { "error.type": "503" } });
    expect(spans.find((s) => s.name === "sql batch")).toMatchObject({ status: 2 });
  });

  it("ignores a client's own traceparent (only a forwarding region's is continued)", async () => {
    const clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await callWith(traced("0"), "/api/v1/crm/contacts?limit=1", {
      token: await tokenFor(),
      headers: { traceparent: `00-${clientTrace}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Nexus-Trace-Id")).not.toBe(clientTrace);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await spansOf(clientTrace)).toEqual([]);
  });

  it("writes the sampled request's traceparent on the events it emits (for JetStream and webhooks)", async () => {
    const res = await callWith(traced("1"), "/api/v1/crm/contacts", {
      method: "POST",
      token: await tokenFor(),
      json: { first_name: "Traced" },
    });
    expect(res.status).toBe(201);
    const traceId = res.headers.get("Nexus-Trace-Id") ?? "";
    const { data } = (await res.json()) as { data: { id: string } };
    const rows = (await ownerSql().query(
      "select traceparent from outbox_events where payload->'data'->>'id' = $1 and event_type = 'contact.created'",
      [data.id],
    )) as { traceparent: string | null }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceIdOfComment(`/*traceparent='${rows[0]?.traceparent}'*/`)).toBe(traceId);
  });
});

describe("the structured log line", () => {
  it("carries the request's trace and span ids, and never the e-mail address the request carried", async () => {
    const marker = `log-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const lines: string[] = [];
    for (const method of ["log", "warn", "error"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
    const token = await tokenFor();
    // In the body (a new contact), in the query (a filter), and in a body that fails validation.
    const created = await callWith(traced("1"), "/api/v1/crm/contacts", {
      method: "POST",
      token,
      json: { first_name: "Logged", email: marker },
    });
    expect(created.status).toBe(201);
    const listed = await callWith(traced("1"), `/api/v1/crm/contacts?email=${encodeURIComponent(marker)}`, {
      token,
    });
    expect(listed.status).toBe(200);
    const refused = await callWith(traced("1"), "/api/v1/crm/contacts", {
      method: "POST",
      token,
      json: { first_name: "Logged", email: marker, [marker]: true },
    });
    expect(refused.status).toBe(400);

    const requestLines = lines.filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l));
    expect(requestLines.length).toBeGreaterThanOrEqual(3);
    const line = requestLines.find((l) => l.request_id === created.headers.get("X-Request-Id"));
    expect(line).toMatchObject({
      level: "info",
      route: "/api/v1/crm/contacts",
      status: 201,
      trace_id: created.headers.get("Nexus-Trace-Id"),
    });
    expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(lines.join("\n")).not.toContain(marker);
  });
});

describe("the Worker's metrics (the in-memory sink where Analytics Engine is not bound)", () => {
  it("records latency and outcome per route and region, token validations and database batches, without ids or queries", async () => {
    const marker = `metric-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const before = localMetricPoints().length;
    const res = await callWith({}, `/api/v1/crm/contacts?email=${encodeURIComponent(marker)}`, {
      token: await tokenFor(),
    });
    expect(res.status).toBe(200);
    const refused = await callWith({}, "/api/v1/crm/contacts", { token: "not-a-token" });
    expect(refused.status).toBe(401);
    const points = localMetricPoints().slice(before);
    expect(points).toContainEqual(
      expect.objectContaining({
        metric: "request",
        region: "eu",
        name: "GET /api/v1/crm/contacts",
        outcome: "2xx",
        status: 200,
      }),
    );
    expect(points).toContainEqual(
      expect.objectContaining({ metric: "token_validation", name: "access_token", outcome: "valid" }),
    );
    expect(points).toContainEqual(
      expect.objectContaining({ metric: "token_validation", name: "access_token", outcome: "refused" }),
    );
    expect(points).toContainEqual(
      expect.objectContaining({ metric: "db_batch", name: "http", outcome: "ok" }),
    );
    expect(JSON.stringify(points)).not.toContain(marker);
  });
});
