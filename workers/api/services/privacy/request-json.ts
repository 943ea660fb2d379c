import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import type { RequestRow } from "./request-rows";

interface StreamPurge {
  subject_filter: string;
  purged_at: string | null;
  purged_messages: number | null;
}

async function streamPurgeOf(db: Database, request: RequestRow): Promise<StreamPurge | null> {
  // A tenant's erasure purges its subjects; a person's, once the outbox step named their events,
  // has them rewritten (regions/outbox-relay/privacy-rewrites.ts).
  if (request.kind !== "erasure") return null;
  const [rows = []] = await tenantRows(db, request.tenant_id, [
    sql`select subject_filter, to_char(purged_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as purged_at,
               purged_messages::float8 as purged_messages
        from privacy_stream_purges where tenant_id = ${request.tenant_id} and request_id = ${request.id}::uuid`,
  ]);
  return (rows[0] as StreamPurge | undefined) ?? null;
}

/** A request as the API shows it (schemas/privacy.ts PrivacyRequest). */
export async function requestJson(db: Database, request: RequestRow, basePath: string) {
  const downloadable =
    request.kind === "export" &&
    request.status === "completed" &&
    request.archive_expires_at !== null &&
    Date.parse(request.archive_expires_at) > Date.now();
  return {
    id: request.id,
    kind: request.kind,
    subject: { type: request.subject_type, id: request.subject_id },
    status: request.status,
    progress: { done: request.steps.filter((s) => s.state === "done").length, total: request.steps.length },
    stores: request.steps,
    stream_purge: await streamPurgeOf(db, request),
    error: request.error,
    requested_by: request.requested_by,
    download_url: downloadable ? `${basePath}/${request.id}/download` : null,
    archive_expires_at: request.archive_expires_at,
    created_at: request.created_at,
    completed_at: request.completed_at,
  };
}
