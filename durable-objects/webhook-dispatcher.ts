import { DurableObject } from "cloudflare:workers";
import { regionDatabase } from "../db/client";
import { loadConfig } from "../workers/api/env";
import { logError } from "../workers/api/lib/log-error";
import { configureMetrics } from "../workers/api/observability/metrics";
import { configureTracing } from "../workers/api/observability/tracing";
import { type AttemptResult, attemptDelivery } from "../workers/api/webhooks/attempt";
import { ATTEMPT_TIMEOUT_MS } from "../workers/api/webhooks/retry-schedule";

/** Which deliveries to send: ids only, the rows are in Postgres. */
export interface EnqueueSpec {
  tenantId: string;
  endpointId: string;
  deliveryIds: readonly string[];
}

/** Everything this object stores, as its own method shows it (tests check residency on it). */
export interface DispatcherSnapshot {
  tenantId: string | null;
  endpointId: string | null;
  queue: { deliveryId: string; dueAt: number }[];
}

/** Attempts in flight at once per endpoint. */
const CONCURRENCY = 10;
/** The dead man's switch: an alarm past any attempt in flight, in case this object dies mid-send. */
const WATCHDOG_MS = ATTEMPT_TIMEOUT_MS + 15_000;
/** After Postgres failed us, try the delivery again this much later. */
const STORE_RETRY_MS = 5_000;

/**
 * One per webhook endpoint (`webhooks:{endpointId}`), in the tenant's home region: it sends the
 * endpoint's deliveries (workers/api/webhooks/attempt.ts) and keeps their retry times, with its
 * alarm as the engine. Storage is a queue of delivery ids and due times, plus the tenant and
 * endpoint ids: never an event body, a URL or a secret, all read from Postgres per attempt, so a
 * Lagos object (placed by hint, not by jurisdiction) holds no personal data.
 *
 * Deliveries are independent and unordered (Standard Webhooks promises no order; receivers order
 * by the event's `timestamp`): up to CONCURRENCY are sent at once, and one failing delivery's
 * retries do not hold back the others.
 *
 * Postgres is the authority: if this object loses its queue, the scheduled sweep finds the due,
 * unclaimed rows and enqueues them again.
 */
export class WebhookDispatcher extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  #running = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.#createSchema());
  }

  #createSchema(): void {
    this.sql.exec(`
      create table if not exists queue (delivery_id text primary key, due_at integer not null);
      create table if not exists meta (key text primary key, value text not null);
    `);
  }

  /** A privacy erasure of the endpoint's tenant: the queue and its alarm go. */
  async forget(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#createSchema();
  }

  /** Queues deliveries to be sent now (a delivery already queued keeps the earlier of its times). */
  async enqueue(spec: EnqueueSpec): Promise<void> {
    const now = Date.now();
    this.sql.exec(
      "insert or replace into meta values ('tenant', ?), ('endpoint', ?)",
      spec.tenantId,
      spec.endpointId,
    );
    for (const id of spec.deliveryIds) {
      this.sql.exec(
        "insert into queue values (?, ?) on conflict (delivery_id) do update set due_at = min(due_at, excluded.due_at)",
        id,
        now,
      );
    }
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > now) await this.ctx.storage.setAlarm(now);
  }

  snapshot(): DispatcherSnapshot {
    const meta = new Map(
      this.sql
        .exec<{ key: string; value: string }>("select key, value from meta")
        .toArray()
        .map((r) => [r.key, r.value]),
    );
    return {
      tenantId: meta.get("tenant") ?? null,
      endpointId: meta.get("endpoint") ?? null,
      queue: this.sql
        .exec<{ delivery_id: string; due_at: number }>(
          "select delivery_id, due_at from queue order by due_at",
        )
        .toArray()
        .map((r) => ({ deliveryId: r.delivery_id, dueAt: r.due_at })),
    };
  }

  override async alarm(): Promise<void> {
    // A second alarm while one runs: the running one reschedules when it ends.
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#drain();
    } finally {
      this.#running = false;
      await this.#schedule();
    }
  }

  async #drain(): Promise<void> {
    const { tenantId } = this.snapshot();
    if (!tenantId) return;
    const config = loadConfig(this.env);
    configureMetrics(this.env);
    const deps = {
      db: regionDatabase(config),
      dataKey: config.dataEncryptionKey,
      allowPrivateTargets: config.webhookAllowPrivateTargets,
      retryBaseMs: config.webhookRetryBaseMs,
      timeoutMs: config.webhookTimeoutMs,
      traced: configureTracing(config),
    };
    for (;;) {
      const due = this.#due(CONCURRENCY);
      if (due.length === 0) return;
      await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
      await Promise.all(
        due.map(async (id) => {
          let result: AttemptResult;
          try {
            result = await attemptDelivery(deps, tenantId, id);
          } catch (error) {
            logError("webhook attempt failed", undefined, error, { delivery_id: id });
            result = { retryAt: Date.now() + STORE_RETRY_MS };
          }
          if ("done" in result) this.sql.exec("delete from queue where delivery_id = ?", id);
          else this.sql.exec("update queue set due_at = ? where delivery_id = ?", result.retryAt, id);
        }),
      );
    }
  }

  #due(limit: number): string[] {
    return this.sql
      .exec<{ delivery_id: string }>(
        "select delivery_id from queue where due_at <= ? order by due_at limit ?",
        Date.now(),
        limit,
      )
      .toArray()
      .map((r) => r.delivery_id);
  }

  async #schedule(): Promise<void> {
    const next = this.sql.exec<{ due: number | null }>("select min(due_at) as due from queue").one().due;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }
}
