import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BenchStack, type RunningWorker, startBenchStack } from "../../bench/lib/bench-stack";
import { Cleanup } from "../../bench/lib/cleanup";
import { freePort } from "../../bench/lib/workerd";
import { traceIdOfComment } from "../../regions/lib/telemetry/sqlcommenter";
import { startTraceCollector, type TraceCollector } from "../../regions/otel-collector/server";
import { ownerUrl } from "../support/postgres";
import { type ReceivedWebhook, startWebhookReceiver } from "../support/webhook-receiver";

// Two regions on workerd (the Worker as deployed), the EU one over the real SQL gateway and
// Postgres, both exporting to the collector stand-in: one request sent to Lagos with an EU token,
// forwarded, served from the EU database — one trace, seen in the exported spans and in Postgres.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATABASE = `${process.env.NEXUS_TEST_WORKER_DB ?? "nexus_test"}_traces`;

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  service: string;
  attributes: Record<string, unknown>;
}

const cleanup = new Cleanup();
let collector: TraceCollector;
let stack: BenchStack;
let lagos: RunningWorker;

beforeAll(async () => {
  collector = await startTraceCollector({ port: 0 });
  cleanup.add("trace collector", () => collector.close());
  stack = await startBenchStack({
    root: ROOT,
    database: DATABASE,
    poolSize: 4,
    keep: false,
    tokenTtlSeconds: 3600,
    cleanup,
    gatewayTracesEndpoint: collector.tracesEndpoint,
  });
  const traces = { TRACES_ENDPOINT: collector.tracesEndpoint, TRACES_SAMPLE_RATE: "1" };
  await stack.startWorker("eu", stack.port, "on", { vars: traces });
  const lagosPort = await freePort("127.0.0.1");
  const lagosUrl = `http://127.0.0.1:${lagosPort}`;
  lagos = await stack.startWorker("lagos", lagosPort, "on", {
    vars: {
      ...traces,
      REGION: "lagos",
      REGION_URLS: JSON.stringify({ eu: stack.workerUrl, lagos: lagosUrl }),
    },
  });
}, 240_000);

afterAll(() => cleanup.runAll(), 60_000);

/** The superuser's view of the region's database, behind the gateway's back. */
async function withOwner<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ownerUrl(DATABASE) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe("one trace from the Lagos edge through the EU Worker into Postgres", () => {
  it("shares its trace id between both Workers' spans, the gateway's and the statement Postgres runs", async () => {
    const auth = { Authorization: `Bearer ${stack.credentials.token}` };
    const created = await fetch(`${stack.workerUrl}/api/v1/crm/contacts`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ first_name: "Traced" }),
    });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { id: string } };

    // The contact's table locked, so the forwarded request's statement waits where Postgres shows it.
    const { response, statement } = await withOwner(async (lock) => {
      await lock.query("begin");
      await lock.query("lock table contacts in access exclusive mode");
      const sent = fetch(`${lagos.url}/api/v1/crm/contacts/${data.id}`, { headers: auth });
      let waiting: string | undefined;
      try {
        await expect
          .poll(
            async () => {
              const rows = await withOwner((watch) =>
                watch.query<{ query: string }>(
                  `select query from pg_stat_activity
                   where datname = $1 and wait_event_type = 'Lock' and query like '%from "contacts"%'`,
                  [DATABASE],
                ),
              );
              waiting = rows.rows[0]?.query;
              return waiting !== undefined;
            },
            { timeout: 15_000, interval: 100 },
          )
          .toBe(true);
      } finally {
        await lock.query("rollback");
      }
      return { response: await sent, statement: waiting ?? "" };
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("Nexus-Region")).toBe("eu");
    const traceId = response.headers.get("Nexus-Trace-Id") ?? "";
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    // Postgres ran the statement with the trace's sqlcommenter comment.
    expect(statement).toContain("/*traceparent='00-");
    expect(traceIdOfComment(statement)).toBe(traceId);
    const commentSpan = /traceparent='00-[0-9a-f]{32}-([0-9a-f]{16})-01'/.exec(statement)?.[1];

    // The collector has the whole trace: Lagos' request and forward, the EU's request, its SQL, the gateway.
    let spans: Span[] = [];
    await expect
      .poll(
        async () => {
          const res = await fetch(`${collector.url}/api/traces/${traceId}`);
          spans = ((await res.json()) as { spans: Span[] }).spans;
          return spans.some((s) => s.service === "sql-gateway · eu" && s.parentSpanId === commentSpan);
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    const byService = (service: string) => spans.filter((s) => s.service === service);
    const lagosServer = byService("nexus-api · lagos").find((s) => s.kind === 2);
    const forward = byService("nexus-api · lagos").find((s) => s.name === "forward to eu");
    const euServer = byService("nexus-api · eu").find((s) => s.kind === 2);
    expect(lagosServer).toMatchObject({ parentSpanId: null, attributes: { "nexus.region": "lagos" } });
    expect(forward?.parentSpanId).toBe(lagosServer?.spanId);
    expect(euServer).toMatchObject({
      name: "GET /api/v1/crm/contacts/:id",
      parentSpanId: forward?.spanId,
      attributes: { "nexus.region": "eu", "nexus.forwarded_from": "lagos" },
    });
    // The commented statement's batch is one of the EU Worker's SQL spans, under its request.
    const batch = spans.find((s) => s.spanId === commentSpan);
    expect(batch).toMatchObject({ name: "sql batch", service: "nexus-api · eu" });
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);
  });

  it("sends a sampled write's trace on to its webhook delivery, as the delivery span's traceparent", async () => {
    const receiver = await startWebhookReceiver();
    cleanup.add("webhook receiver", () => receiver.close());
    const name = crypto.randomUUID();
    const auth = { Authorization: `Bearer ${stack.credentials.token}`, "Content-Type": "application/json" };
    const registered = await fetch(`${stack.workerUrl}/api/v1/webhooks/endpoints`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ url: `${receiver.url}/hooks/${name}`, event_types: ["contact.*"] }),
      signal: AbortSignal.timeout(20_000),
    });
    expect(registered.status).toBe(201);
    const created = await fetch(`${stack.workerUrl}/api/v1/crm/contacts`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ first_name: "Delivered" }),
      signal: AbortSignal.timeout(20_000),
    });
    expect(created.status).toBe(201);
    const traceId = created.headers.get("Nexus-Trace-Id") ?? "";

    let got: ReceivedWebhook[] = [];
    await expect
      .poll(
        async () => {
          got = (await (await fetch(`${receiver.url}/control/${name}`)).json()) as ReceivedWebhook[];
          return got.length;
        },
        { timeout: 15_000 },
      )
      .toBeGreaterThan(0);
    const header = got[0]?.headers.traceparent ?? "";
    expect(header).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const deliverySpan = header.split("-")[2];
    await expect
      .poll(async () => {
        const res = await fetch(`${collector.url}/api/traces/${traceId}`);
        const spans = ((await res.json()) as { spans: Span[] }).spans;
        return spans.find((s) => s.spanId === deliverySpan)?.name;
      })
      .toBe("webhook delivery");
  });
});
