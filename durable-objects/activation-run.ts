import { DurableObject } from "cloudflare:workers";
import { regionDatabase } from "../db/client";
import type { RegionId } from "../regions/registry";
import {
  abandonActivation,
  loadActivation,
  STEP_NAMES,
  STEPS,
  type StepContext,
  type StepName,
} from "../workers/api/activation/steps";
import { loadConfig } from "../workers/api/env";
import { fromDatabaseError } from "../workers/api/lib/db-errors";
import { ApiError } from "../workers/api/lib/errors";
import { logError } from "../workers/api/lib/log-error";

/** What a caller starts a run with: ids only (the request itself is in Postgres). */
export interface RunSpec {
  /** The activations row's id. */
  activationId: string;
  tenantId: string;
  region: RegionId;
  /**
   * Test deployments only: `fail:<step>` throws before the step's first attempt commits,
   * `crash-after:<step>` resets the object right after its first attempt committed,
   * `conflict:<step>` fails the step for good (as a taken slug would).
   */
  fault?: string | undefined;
}

export interface StepRecord {
  name: StepName;
  state: "pending" | "running" | "done" | "failed";
  attempts: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  error: { code: string; message: string } | null;
}

export interface RunRecord {
  spec: RunSpec;
  state: "running" | "completed" | "failed";
  /** Set when a step failed for good: the run is taking back what it made. */
  abandoning: boolean;
  startedAt: number;
  finishedAt: number | null;
  steps: StepRecord[];
}

/** Attempts per step before the run gives up (1, 2, 4, 8, 16 s apart: about half a minute). */
export const MAX_ATTEMPTS = 6;
const retryDelayMs = (attempts: number) => 1000 * 2 ** Math.max(0, attempts - 1);
/** How long a finished run's status stays readable. */
export const STATUS_RETENTION_MS = 7 * 24 * 3600 * 1000;

class InjectedFault extends Error {}

/**
 * Drives one activation (workers/api/activation/steps.ts) to the end, one step after another,
 * with an alarm as the engine: before a step starts, the alarm is set for its retry, so if the
 * step fails, or the object is evicted or crashes mid-step, the alarm wakes the run and it goes
 * on from the first step not recorded as done. Steps are idempotent, so redoing one that had
 * committed creates nothing twice.
 *
 * Storage holds ids, step names, timings and error codes: never the business's or the owner's
 * details (Lagos objects may be stored outside Lagos), which the steps read from Postgres.
 */
export class ActivationRun extends DurableObject<Env> {
  #driving = false;

  /** Starts the run, or answers the existing one: a repeated start changes nothing. */
  async start(spec: RunSpec): Promise<RunRecord> {
    const existing = this.#load();
    if (existing) return existing;
    const run: RunRecord = {
      spec,
      state: "running",
      abandoning: false,
      startedAt: Date.now(),
      finishedAt: null,
      steps: STEP_NAMES.map((name) => ({
        name,
        state: "pending",
        attempts: 0,
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        error: null,
      })),
    };
    this.#save(run);
    await this.ctx.storage.setAlarm(Date.now());
    return run;
  }

  status(): RunRecord | null {
    return this.#load();
  }

  /** A privacy erasure of the tenant: the run's record and alarm go (ids and timings only). */
  async forget(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  override async alarm(): Promise<void> {
    const run = this.#load();
    if (!run) return;
    if (run.state !== "running") {
      // The retention alarm of a finished run.
      if (Date.now() >= (run.finishedAt ?? 0) + STATUS_RETENTION_MS) await this.ctx.storage.deleteAll();
      return;
    }
    if (this.#driving) return;
    this.#driving = true;
    try {
      await this.#drive(run);
    } finally {
      this.#driving = false;
    }
  }

  async #drive(run: RunRecord): Promise<void> {
    const config = loadConfig(this.env);
    const db = regionDatabase(config);
    const loaded = await loadActivation(db, run.spec.tenantId, run.spec.activationId);
    if (!loaded) {
      // Accepted runs always have their row; without it there is nothing to build from.
      return this.#finish(run, "failed");
    }
    const ctx: StepContext = { env: this.env, db, config, region: run.spec.region, ...loaded };
    if (run.abandoning) return this.#abandon(run, ctx);

    for (const step of run.steps) {
      if (step.state === "done") continue;
      step.attempts += 1;
      step.state = "running";
      step.startedAt ??= Date.now();
      // The dead man's switch: whatever happens to this attempt, the run wakes up again.
      await this.ctx.storage.setAlarm(Date.now() + retryDelayMs(step.attempts));
      this.#save(run);
      const attemptStart = Date.now();
      try {
        if (run.spec.fault === `fail:${step.name}` && step.attempts === 1) {
          throw new InjectedFault(`Injected failure before ${step.name} committed`);
        }
        if (run.spec.fault === `conflict:${step.name}`) {
          throw new ApiError("CONFLICT", "Injected conflict");
        }
        await STEPS[step.name].run(ctx);
        if (run.spec.fault === `crash-after:${step.name}` && step.attempts === 1) {
          // As if the machine died here: in-memory state is gone, the step is not recorded.
          this.ctx.abort(`Injected crash after ${step.name} committed`);
        }
      } catch (error) {
        const failure = classify(step.name, error);
        step.state = "failed";
        step.error = { code: failure.code, message: failure.message };
        if (!(error instanceof InjectedFault)) {
          logError("activation step failed", undefined, error, {
            step: step.name,
            activation: run.spec.activationId,
          });
        }
        if (!failure.retryable || step.attempts >= MAX_ATTEMPTS) {
          run.abandoning = true;
          this.#save(run);
          return this.#abandon(run, ctx);
        }
        this.#save(run);
        return;
      }
      step.state = "done";
      step.finishedAt = Date.now();
      step.durationMs = step.finishedAt - attemptStart;
      this.#save(run);
    }
    return this.#finish(run, "completed");
  }

  async #abandon(run: RunRecord, ctx: StepContext): Promise<void> {
    // Retried by the alarm set for the failed step until the database takes it.
    await this.ctx.storage.setAlarm(Date.now() + retryDelayMs(MAX_ATTEMPTS));
    await abandonActivation(ctx);
    return this.#finish(run, "failed");
  }

  async #finish(run: RunRecord, state: "completed" | "failed"): Promise<void> {
    run.state = state;
    run.abandoning = false;
    run.finishedAt = Date.now();
    this.#save(run);
    await this.ctx.storage.setAlarm(run.finishedAt + STATUS_RETENTION_MS);
  }

  #load(): RunRecord | null {
    return (this.ctx.storage.kv.get("run") as RunRecord | undefined) ?? null;
  }

  #save(run: RunRecord): void {
    this.ctx.storage.kv.put("run", run);
  }
}

/**
 * What a failure means for the run, in words safe to store and show: codes and fixed messages
 * only, since a database error can quote the values it refused (an email address).
 */
function classify(step: StepName, error: unknown): { code: string; message: string; retryable: boolean } {
  if (error instanceof InjectedFault)
    return { code: "INTERNAL_ERROR", message: error.message, retryable: true };
  const api = error instanceof ApiError ? error : fromDatabaseError(error);
  if (api?.code === "CONFLICT") return { code: "CONFLICT", message: STEPS[step].conflict, retryable: false };
  if (api?.code === "SERVICE_UNAVAILABLE") {
    return { code: api.code, message: "The region's database is unavailable; retrying", retryable: true };
  }
  return { code: "INTERNAL_ERROR", message: "The step failed unexpectedly; retrying", retryable: true };
}
