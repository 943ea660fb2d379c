import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import type { StepRecord } from "./steps";
import type { RequestKind, SubjectType } from "./types";

export interface RequestRow {
  id: string;
  tenant_id: string;
  kind: RequestKind;
  subject_type: SubjectType;
  subject_id: string;
  status: "running" | "completed" | "failed";
  requested_by: string;
  requested_via: string;
  steps: StepRecord[];
  attempts: number;
  lease_until: string | null;
  fault: string | null;
  error: { code: string; message: string } | null;
  archive_expires_at: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export const REQUEST_COLUMNS =
  sql.raw(`id::text, tenant_id::text, kind, subject_type, subject_id::text, status,
  requested_by, requested_via, steps, attempts, fault, error,
  to_char(lease_until at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as lease_until,
  to_char(archive_expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as archive_expires_at,
  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
  to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as updated_at,
  to_char(completed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as completed_at`);

export async function loadRequest(db: Database, tenantId: string, id: string): Promise<RequestRow | null> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select ${REQUEST_COLUMNS} from privacy_requests where tenant_id = ${tenantId} and id = ${id}::uuid`,
  ]);
  return (rows[0] as RequestRow | undefined) ?? null;
}

/** Saves the steps (and extends the lease while the run is alive). */
export async function saveSteps(
  db: Database,
  request: RequestRow,
  steps: readonly StepRecord[],
  leaseUntil: Date,
): Promise<void> {
  await tenantRows(db, request.tenant_id, [
    sql`update privacy_requests set steps = ${JSON.stringify(steps)}::jsonb, lease_until = ${leaseUntil.toISOString()}::timestamptz,
          updated_at = now() where tenant_id = ${request.tenant_id} and id = ${request.id}::uuid`,
  ]);
}
