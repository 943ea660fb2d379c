import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTraceComment } from "../../regions/lib/telemetry/sqlcommenter";
import { startTraceCollector, type TraceCollector } from "../../regions/otel-collector/server";
import { type SqlGateway, startSqlGateway } from "../../regions/sql-gateway/server";
import { POSTGRES_UPSTREAM, postSql } from "./support";

// The gateway's share of observability: its span under a traced caller's, commented statements run
// unnamed (never cached as prepared statements), Prometheus metrics per kind and outcome.

let gateway: SqlGateway;
let collector: TraceCollector;

beforeAll(async () => {
  collector = await startTraceCollector({ port: 0 });
  gateway = await startSqlGateway({
    backend: { kind: "postgres", upstream: POSTGRES_UPSTREAM, poolSize: 1 },
    traces: { endpoint: collector.tracesEndpoint, region: "lagos" },
  });
});

afterAll(async () => {
  await gateway?.close();
  await collector?.close();
});

const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
const traceparent = () => ({ traceId: hex(16), spanId: hex(8) });

describe("the SQL gateway's tracing and metrics", () => {
  it("continues a caller's trace in a span of its own, and counts its commented statements", async () => {
    {
      const trace = traceparent();
      const header = `00-${trace.traceId}-${trace.spanId}-01`;
      const query = withTraceComment("select $1::int + 1 as n", header);
      const res = await postSql(gateway, { queries: [{ query, params: ["41"] }] }, { traceparent: header });
      expect(res.status).toBe(200);

      await expect
        .poll(async () => {
          const body = (await (await fetch(`${collector.url}/api/traces/${trace.traceId}`)).json()) as {
            spans: {
              parentSpanId: string;
              service: string;
              name: string;
              attributes: Record<string, unknown>;
            }[];
          };
          return body.spans;
        })
        .toEqual([
          expect.objectContaining({
            name: "sql gateway",
            parentSpanId: trace.spanId,
            service: "sql-gateway · lagos",
            attributes: expect.objectContaining({
              "db.operation.batch.size": 1,
              "nexus.sql.commented": true,
            }),
          }),
        ]);
    }
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(
      /nexus_sql_gateway_statements_total\{traced="true",region="lagos",service="sql-gateway"\} 1/,
    );
  });

  it("starts no trace for a request without a traceparent", async () => {
    const before = (await (await fetch(`${collector.url}/api/traces`)).json()) as { traces: unknown[] };
    const res = await postSql(gateway, { query: "select 1 as n", params: [] });
    expect(res.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = (await (await fetch(`${collector.url}/api/traces`)).json()) as { traces: unknown[] };
    expect(after.traces.length).toBe(before.traces.length);
  });

  it("counts requests by kind and outcome, and times them", async () => {
    expect((await postSql(gateway, { query: "select 1 as n", params: [] })).status).toBe(200);
    expect((await postSql(gateway, { queries: [{ query: "select 2 as n", params: [] }] })).status).toBe(200);
    expect((await postSql(gateway, { query: "select nonsense from nowhere", params: [] })).status).toBe(400);
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const value = (labels: string) =>
      Number(
        new RegExp(
          `nexus_sql_gateway_requests_total\\{${labels},region="lagos",service="sql-gateway"\\} (\\d+)`,
        ).exec(text)?.[1] ?? 0,
      );
    expect(value('kind="single",outcome="ok"')).toBeGreaterThanOrEqual(2);
    expect(value('kind="batch",outcome="ok"')).toBeGreaterThanOrEqual(2);
    expect(value('kind="single",outcome="postgres_error"')).toBe(1);
    expect(text).toMatch(/nexus_sql_gateway_request_seconds_count\{[^}]*kind="single"[^}]*\} [1-9]/);
  });
});
