import { sql } from "drizzle-orm";
import { type Database, regionDatabase } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import { type Config, loadConfig } from "../../env";
import { fromDatabaseError } from "../../lib/db-errors";
import { logError } from "../../lib/log-error";
import { auditInsert } from "../identity/audit";
import { manifestOf } from "./archive";
import { loadProfile } from "./profile";
import { storeNamed, storesFor } from "./registry";
import { loadRequest, REQUEST_COLUMNS, type RequestRow, saveSteps } from "./request-rows";
import { newStep, type StepRecord } from "./steps";
import { revealSealed } from "./subject-keys";
import type { StoreContext, SubjectProfile } from "./types";

/**
 * How long a run holds its request: a Worker that dies mid-run leaves the lease to run out, and
 * the scheduled handler (resumePrivacyRequests) takes the request over from its first step not
 * recorded done. Each step is idempotent, so one whose work committed just before the crash
 * repeats harmlessly.
 */
export const LEASE_MS = 60_000;
/** Attempts per step before the request fails (the cron retries every minute, so ~6 minutes). */
export const MAX_STEP_ATTEMPTS = 6;
/** How long an export's archive can be downloaded. */
export const ARCHIVE_TTL_DAYS = 7;

/** What a test deployment may ask a run to do (Nexus-Test-Fault at creation, routes/privacy-requests.ts). */
export const PRIVACY_FAULTS = /^(crash-after|fail):[a-z_.]+$/;

export interface RunDeps {
  db: Database;
  env: Env;
  config: Config;
  /** The clock (tests move it past a lease). */
  now?: () => Date;
}

class InjectedFault extends Error {}

/** Claims the request if it is running and nobody holds it; answers it claimed, or null. */
async function claim(deps: RunDeps, tenantId: string, id: string, now: Date): Promise<RequestRow | null> {
  const lease = new Date(now.getTime() + LEASE_MS).toISOString();
  const [rows = []] = await tenantRows(deps.db, tenantId, [
    sql`update privacy_requests set lease_until = ${lease}::timestamptz, attempts = attempts + 1, updated_at = now()
        where tenant_id = ${tenantId} and id = ${id}::uuid and status = 'running'
          and (lease_until is null or lease_until < ${now.toISOString()}::timestamptz)
        returning ${REQUEST_COLUMNS}`,
  ]);
  return (rows[0] as RequestRow | undefined) ?? null;
}

/**
 * Runs a request from where it stands to the end (or to a failed step, which the scheduled
 * handler retries). Answers the request as it was left; null when another run holds it.
 */
export async function driveRequest(deps: RunDeps, tenantId: string, id: string): Promise<RequestRow | null> {
  const clock = deps.now ?? (() => new Date());
  const request = await claim(deps, tenantId, id, clock());
  if (!request) return null;
  const subject = { type: request.subject_type, id: request.subject_id };
  const planned = storesFor(subject.type, request.kind);
  const steps: StepRecord[] =
    request.steps.length > 0 ? request.steps : planned.map((s) => newStep(s.name, s.where));
  // The subject's own rows go last, so a resumed run reads its identifiers again; when they are
  // gone, every step that needed them is done already.
  const profile: SubjectProfile = (await loadProfile(
    deps.db,
    tenantId,
    subject,
    deps.config.dataEncryptionKey,
  )) ?? {
    subject,
    ids: [subject.id],
    identifiers: [],
  };
  const ctx: StoreContext = {
    db: deps.db,
    env: deps.env,
    config: deps.config,
    region: deps.config.region,
    tenantId,
    requestId: request.id,
    profile,
    now: clock(),
  };
  for (const step of steps) {
    if (step.state === "done") continue;
    const store = storeNamed(step.store);
    if (!store) throw new Error(`unknown store ${step.store}`);
    step.state = "running";
    step.attempts += 1;
    await saveSteps(deps.db, request, steps, new Date(clock().getTime() + LEASE_MS));
    try {
      if (request.fault === `fail:${step.store}` && step.attempts === 1) {
        throw new InjectedFault(`Injected failure before ${step.store}`);
      }
      if (request.kind === "export") {
        const stored = (await store.export?.(ctx)) ?? [];
        // The person gets their sealed fields (phone, date of birth) in clear, as the API shows them.
        const rootKey = deps.config.dataEncryptionKey;
        const rows = rootKey ? await revealSealed({ db: deps.db, tenantId, rootKey }, stored) : stored;
        await writeExportFile(deps.db, request, step.store, rows);
        Object.assign(step, { action: "exported", rows: rows.length });
      } else {
        const outcome = await store.erase(ctx);
        Object.assign(step, { action: outcome.action, rows: outcome.rows, reason: outcome.reason ?? null });
      }
      if (request.fault === `crash-after:${step.store}` && step.attempts === 1) {
        // As if the Worker died here: the store's work committed, its step is not recorded and
        // the lease is held until it runs out.
        return loadRequest(deps.db, tenantId, id);
      }
    } catch (error) {
      const failure = classify(error);
      step.state = "failed";
      step.error = failure;
      if (!(error instanceof InjectedFault)) {
        logError("privacy request step failed", undefined, error, { store: step.store, request: request.id });
      }
      if (step.attempts >= MAX_STEP_ATTEMPTS) return finish(deps, request, steps, "failed", failure);
      // Released at once: the next scheduled run (or a GET that finds it idle) takes it again.
      await saveSteps(deps.db, request, steps, clock());
      return loadRequest(deps.db, tenantId, id);
    }
    step.state = "done";
    step.error = null;
    step.finished_at = clock().toISOString();
    await saveSteps(deps.db, request, steps, new Date(clock().getTime() + LEASE_MS));
  }
  return finish(deps, request, steps, "completed", null);
}

async function writeExportFile(
  db: Database,
  request: RequestRow,
  store: string,
  rows: unknown[],
): Promise<void> {
  await tenantRows(db, request.tenant_id, [
    sql`insert into privacy_export_files (request_id, tenant_id, name, rows, body)
        values (${request.id}::uuid, ${request.tenant_id}::uuid, ${store}, ${rows.length}, ${JSON.stringify(rows)})
        on conflict (request_id, name) do update set rows = excluded.rows, body = excluded.body, created_at = now()`,
  ]);
}

async function finish(
  deps: RunDeps,
  request: RequestRow,
  steps: readonly StepRecord[],
  status: "completed" | "failed",
  error: { code: string; message: string } | null,
): Promise<RequestRow | null> {
  const t = request.tenant_id;
  const expires =
    request.kind === "export" && status === "completed"
      ? sql`now() + ${`${ARCHIVE_TTL_DAYS} days`}::interval`
      : sql`null`;
  const statements = [
    sql`update privacy_requests set status = ${status}, steps = ${JSON.stringify(steps)}::jsonb, error = ${error ? JSON.stringify(error) : null}::jsonb,
          lease_until = null, completed_at = now(), updated_at = now(), archive_expires_at = ${expires}
        where tenant_id = ${t} and id = ${request.id}::uuid`,
  ];
  if (request.kind === "export" && status === "completed") {
    const manifest = manifestOf(request, steps);
    statements.push(
      sql`insert into privacy_export_files (request_id, tenant_id, name, rows, body)
          values (${request.id}::uuid, ${t}::uuid, 'manifest', ${steps.length}, ${JSON.stringify(manifest)})
          on conflict (request_id, name) do update set body = excluded.body`,
    );
  }
  // A tenant's erasure took its audit log and the tenant row with it: the request row is the record.
  if (!(request.kind === "erasure" && request.subject_type === "tenant" && status === "completed")) {
    statements.push(
      auditInsert(
        {
          tenantId: t,
          action: status === "completed" ? "privacy.request_completed" : "privacy.request_failed",
          outcome: status === "completed" ? "success" : "failure",
          actorType: "system",
          actorId: null,
          targetType: "privacy_request",
          targetId: request.id,
          details: { kind: request.kind, subject_type: request.subject_type },
        },
        { ip: null, userAgent: null, requestId: request.id },
      ),
    );
  }
  await tenantRows(deps.db, t, statements);
  return loadRequest(deps.db, t, request.id);
}

/** Codes and fixed messages only: a database error can quote the values it refused. */
function classify(error: unknown): { code: string; message: string } {
  if (error instanceof InjectedFault) return { code: "INTERNAL_ERROR", message: error.message };
  const api = fromDatabaseError(error);
  if (api?.code === "SERVICE_UNAVAILABLE")
    return { code: api.code, message: "A store was unavailable; retrying" };
  return { code: "INTERNAL_ERROR", message: "The step failed unexpectedly; retrying" };
}

/** Requests per scheduled run; the rest wait for the next minute. */
const RESUME_BATCH = 20;

/**
 * The cron's part (every minute): running requests whose lease ran out (their Worker died, or a
 * step failed and released them) are driven on. Answers how many were taken.
 */
export async function resumePrivacyRequests(env: Env, now: () => Date = () => new Date()): Promise<number> {
  const config = loadConfig(env);
  const db = regionDatabase(config);
  const due = (
    await db.execute(
      sql`select id::text, tenant_id::text from privacy_requests where status = 'running'
          and (lease_until is null or lease_until < ${now().toISOString()}::timestamptz)
          order by updated_at limit ${RESUME_BATCH}`,
    )
  ).rows as { id: string; tenant_id: string }[];
  let taken = 0;
  for (const r of due) {
    try {
      if (await driveRequest({ db, env, config, now }, r.tenant_id, r.id)) taken++;
    } catch (error) {
      logError("privacy request resume failed", undefined, error, { request: r.id });
    }
  }
  return taken;
}
