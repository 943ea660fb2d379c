import { Pool } from "undici";
import { queryAsOwner } from "../../test/support/postgres";
import { type CpuShare, cpuDelta, cpuShare, cpuSnapshot } from "./cpu";
import { type ProfileSummary, profileThroughInspector, renderProfile, summarizeProfile } from "./cpu-profile";
import { percentile } from "./percentile";
import { progress } from "./progress";
import type { TargetCheck } from "./report";

/**
 * `--only finance`: payments of the bench tenant through its Paystack connection at the provider
 * stand-in (regions/payment-providers, in this process).
 *
 * 1. Initiate: `count` `POST /api/v1/payments/initiate` one after another (after `warmup`
 *    unmeasured ones), each a database write, a call to the stand-in and a second write.
 * 2. Each payment is paid on the stand-in's checkout page (form POST `outcome=pay`). No webhook
 *    URL is registered there, so the stand-in records each `charge.success`, signed with the
 *    connection's secret key as Paystack signs it, without sending it.
 * 3. Intake: every recorded event is POSTed to the connection's webhook URL `duplicates` times
 *    (the copies of one event back to back, so they race each other) from `concurrency`
 *    connections. Measured: all deliveries answered, and all effects applied (every payment
 *    `succeeded` after the Worker's verify-by-pull). Then counted in the database: payments
 *    moved, `payment.succeeded` outbox events, stored provider events — each must equal the
 *    distinct events.
 */
export interface FinanceTimings {
  initiate: { count: number; p50: number; p95: number; max: number };
  intake: {
    distinct: number;
    deliveries: number;
    concurrency: number;
    answeredMs: number;
    appliedMs: number;
    /** Deliveries answered per second (duplicates included). */
    deliveriesPerSecond: number;
    /** Distinct events whose effect was applied per second (until the last one). */
    distinctPerSecond: number;
    non200: number;
    paymentsMoved: number;
    outboxEvents: number;
    providerEvents: number;
    duplicatesCounted: number;
    /** % of one core per process while the deliveries were answered (the bench process is also the stand-in). */
    cpu: CpuShare | null;
    /** `--profile finance`: where workerd's CPU went while the deliveries were answered. */
    workerdProfile?: ProfileSummary;
  };
}

const APPLY_TIMEOUT_MS = 120_000;
const BENCH_PAYSTACK_KEY = "sk_test_NexusBenchPaystack0001";

async function json<T>(response: Response, what: string, status: number): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export async function measureFinance(options: {
  baseUrl: string;
  token: string;
  /** The stand-in's base URL (its /__standin controls). */
  standinUrl: string;
  database: string;
  tenantId: string;
  pids: { workerd: number; gateway: number };
  count: number;
  warmup: number;
  duplicates: number;
  concurrency: number;
  /** workerd's DevTools inspector (host:port), to profile the intake phase. */
  inspector?: string;
}): Promise<FinanceTimings> {
  const headers = { Authorization: `Bearer ${options.token}`, "Content-Type": "application/json" };
  const connection = (
    await json<{ data: { id: string; webhook_url: string } }>(
      await fetch(`${options.baseUrl}/api/v1/finance/connections`, {
        method: "POST",
        headers,
        body: JSON.stringify({ provider: "paystack", secret_key: BENCH_PAYSTACK_KEY, label: "bench" }),
      }),
      "connection",
      201,
    )
  ).data;
  progress(`finance: Paystack connection ${connection.id}`);

  const payments: { id: string; checkoutUrl: string; reference: string }[] = [];
  const samples: number[] = [];
  for (let n = 0; n < options.warmup + options.count; n++) {
    const started = performance.now();
    const response = await fetch(`${options.baseUrl}/api/v1/payments/initiate`, {
      method: "POST",
      headers: { ...headers, "Idempotency-Key": crypto.randomUUID() },
      body: JSON.stringify({
        amount: `${1000 + n}.00`,
        currency: "NGN",
        customer_email: `bench-${n}@bench.example`,
        return_url: "http://127.0.0.1:9/thanks",
        connection_id: connection.id,
      }),
    });
    const payment = (
      await json<{ data: { id: string; checkout_url: string; provider_reference: string } }>(
        response,
        `initiate ${n}`,
        201,
      )
    ).data;
    if (n >= options.warmup) samples.push(performance.now() - started);
    payments.push({
      id: payment.id,
      checkoutUrl: payment.checkout_url,
      reference: payment.provider_reference,
    });
  }
  const sorted = samples.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  progress(`finance: ${samples.length} initiates measured; paying them at the stand-in`);

  for (const payment of payments) {
    const paid = await fetch(payment.checkoutUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "outcome=pay",
      redirect: "manual",
    });
    if (paid.status !== 303) throw new Error(`pay ${payment.reference}: ${paid.status}`);
  }
  const recorded = await json<{
    data: { reference: string; body: string; headers: Record<string, string> }[];
  }>(
    await fetch(`${options.standinUrl}/__standin/webhooks?provider=paystack&type=charge.success`),
    "stand-in deliveries",
    200,
  );
  const ours = new Set(payments.map((p) => p.reference));
  const events = recorded.data.filter((d) => d.reference && ours.has(d.reference));
  if (events.length !== payments.length) {
    throw new Error(
      `the stand-in recorded ${events.length} charge.success events for ${payments.length} payments`,
    );
  }

  // Each event `duplicates` times, its copies next to each other: concurrent connections take them
  // at once, so the duplicates race (the hard case for exactly-once).
  const queue = events.flatMap((e) => Array.from({ length: options.duplicates }, () => e));
  const ids = payments.map((p) => p.id);
  progress(
    `finance: ${queue.length} webhook deliveries (${events.length} events × ${options.duplicates}) from ${options.concurrency} connections`,
  );
  let next = 0;
  let non200 = 0;
  const statuses = new Map<number, number>();
  const cpuBefore = cpuSnapshot(options.pids);
  const t0 = performance.now();
  // undici's Pool rather than fetch: the load generator shares the two cores with what it
  // measures, and fetch's per-request cost (streams, Headers, a Response) took a third of a core.
  const target = new URL(connection.webhook_url);
  const pool = new Pool(target.origin, { connections: options.concurrency, pipelining: 1 });
  const deliverAll = () =>
    Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        for (let i = next++; i < queue.length; i = next++) {
          const event = queue[i] as (typeof queue)[number];
          const response = await pool.request({
            method: "POST",
            path: target.pathname,
            headers: {
              "content-type": "application/json",
              "x-paystack-signature": event.headers["x-paystack-signature"] ?? "",
            },
            body: event.body,
          });
          await response.body.dump();
          if (response.statusCode !== 200) {
            non200++;
            statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          }
        }
      }),
    );
  let workerdProfile: ProfileSummary | undefined;
  if (options.inspector) {
    workerdProfile = summarizeProfile((await profileThroughInspector(options.inspector, deliverAll)).profile);
  } else {
    await deliverAll();
  }
  const answeredMs = performance.now() - t0;
  await pool.close();
  const cpu = cpuShare(cpuDelta(cpuBefore, cpuSnapshot(options.pids)));
  if (statuses.size)
    progress(`finance: answers other than 200: ${JSON.stringify(Object.fromEntries(statuses))}`);
  const countSucceeded = async () =>
    Number(
      (
        await queryAsOwner<{ n: string }>(
          options.database,
          "select count(*) as n from payments where id = any($1::uuid[]) and status = 'succeeded'",
          [ids],
        )
      )[0]?.n ?? 0,
    );
  let moved = await countSucceeded();
  while (moved < ids.length && performance.now() - t0 < APPLY_TIMEOUT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    moved = await countSucceeded();
  }
  const appliedMs = performance.now() - t0;
  // Let anything late land before counting effects (a double effect would show up here).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const [counts] = await queryAsOwner<{ moved: string; outbox: string; stored: string; dups: string }>(
    options.database,
    `select
       (select count(*) from payments where id = any($1::uuid[]) and status = 'succeeded') as moved,
       (select count(*) from outbox_events where tenant_id = $2 and event_type = 'payment.succeeded'
          and (payload->'data'->>'id')::uuid = any($1::uuid[])) as outbox,
       (select count(*) from provider_events where payment_id = any($1::uuid[]) and event_type = 'charge.success') as stored,
       (select coalesce(sum(duplicates), 0) from provider_events where payment_id = any($1::uuid[])) as dups`,
    [ids, options.tenantId],
  );
  return {
    initiate: {
      count: samples.length,
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      max: round(percentile(sorted, 100)),
    },
    intake: {
      distinct: events.length,
      deliveries: queue.length,
      concurrency: options.concurrency,
      answeredMs: Math.round(answeredMs),
      appliedMs: Math.round(appliedMs),
      deliveriesPerSecond: Math.round(queue.length / (answeredMs / 1000)),
      distinctPerSecond: Math.round(events.length / (appliedMs / 1000)),
      non200,
      paymentsMoved: Number(counts?.moved ?? 0),
      outboxEvents: Number(counts?.outbox ?? 0),
      providerEvents: Number(counts?.stored ?? 0),
      duplicatesCounted: Number(counts?.dups ?? 0),
      cpu,
      ...(workerdProfile ? { workerdProfile } : {}),
    },
  };
}

export function renderFinance(f: FinanceTimings): string {
  const i = f.intake;
  return [
    `finance initiate (${f.initiate.count} POST /api/v1/payments/initiate, one after another, Paystack stand-in): p50 ${f.initiate.p50} ms, p95 ${f.initiate.p95} ms, max ${f.initiate.max} ms`,
    `finance webhook intake (${i.distinct} distinct Paystack charge.success × ${i.deliveries / i.distinct} = ${i.deliveries} deliveries, ${i.concurrency} connections): all answered in ${i.answeredMs} ms (${i.deliveriesPerSecond} deliveries/s, ${i.non200} not 200); all effects applied in ${i.appliedMs} ms: ${i.distinctPerSecond} distinct events/s`,
    i.cpu
      ? `finance intake CPU, % of one core: workerd ${i.cpu.workerd}, gateway ${i.cpu.gateway}, Postgres ${i.cpu.postgres}, bench process (client + stand-in) ${i.cpu.loadGenerator}, other work on the machine ${i.cpu.other}`
      : "finance intake CPU: not measured (no /proc)",
    // CPU per delivery does not depend on what else the machine runs as much as a rate does.
    i.cpu
      ? `finance intake CPU ms per delivery: workerd ${perDelivery(i.cpu.workerd, i)}, gateway ${perDelivery(i.cpu.gateway, i)}, Postgres ${perDelivery(i.cpu.postgres, i)}`
      : "",
    `finance effects: distinct events ${i.distinct}, payments moved ${i.paymentsMoved}, payment.succeeded outbox events ${i.outboxEvents}, stored provider events ${i.providerEvents}, duplicates counted ${i.duplicatesCounted} (of ${i.deliveries - i.distinct} sent)`,
    ...(i.workerdProfile
      ? ["", renderProfile("workerd during the intake (inspector)", i.workerdProfile, i.deliveries)]
      : []),
  ]
    .filter((line, n, all) => line !== "" || all[n - 1] !== undefined)
    .join("\n");
}

/** `percent` of one core over the answering window, in ms per delivery. */
function perDelivery(percent: number, i: FinanceTimings["intake"]): number {
  return Math.round(((percent / 100) * i.answeredMs * 100) / i.deliveries) / 100;
}

/** The line: ≥ 500 distinct events/s with duplicates, effects exactly the distinct events. */
export function financeTarget(f: FinanceTimings): TargetCheck {
  const i = f.intake;
  const exact =
    i.paymentsMoved === i.distinct && i.outboxEvents === i.distinct && i.providerEvents === i.distinct;
  return {
    name: "finance webhook intake with each event 10×, distinct events/s; effects",
    target: "≥ 500/s; effects = distinct events",
    actual: `${i.distinctPerSecond}/s; effects ${exact ? "=" : "≠"} distinct events (${i.paymentsMoved}/${i.outboxEvents}/${i.providerEvents} of ${i.distinct})`,
    pass: exact && i.distinctPerSecond >= 500 && i.non200 === 0,
  };
}
