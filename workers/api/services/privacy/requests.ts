import { sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import { actorMay } from "../../auth/permissions";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { actorTypeOf, auditInsert } from "../identity/audit";
import type { RequestInfo } from "../identity/request-info";
import { tarArchive } from "./archive";
import { loadProfile } from "./profile";
import { storesFor } from "./registry";
import { loadRequest, REQUEST_COLUMNS, type RequestRow } from "./request-rows";
import { newStep } from "./steps";
import type { RequestKind, Subject } from "./types";

export interface NewRequest {
  kind: RequestKind;
  subject: Subject;
}

/**
 * Who may ask: Owner and Admin (`privacy.requests.write`) for anyone in the tenant and for the
 * tenant itself; any signed-in person for an export of their own user (Art. 15, 20).
 */
export function mayRequest(ctx: ServiceContext, input: NewRequest): boolean {
  if (actorMay(ctx.actor, "privacy.requests.write")) return true;
  return (
    input.kind === "export" &&
    input.subject.type === "user" &&
    ctx.actor.credential === "access_token" &&
    input.subject.id === ctx.actor.userId
  );
}

/** Reading a request: `privacy.requests.read`, or the person who asked for it. */
export function mayRead(ctx: ServiceContext, request: RequestRow): boolean {
  return actorMay(ctx.actor, "privacy.requests.read") || request.requested_by === ctx.actor.userId;
}

export async function createRequest(
  ctx: ServiceContext,
  info: RequestInfo,
  input: NewRequest,
  fault: string | undefined,
): Promise<RequestRow> {
  const tenantId = ctx.actor.tenantId;
  if (input.subject.type === "tenant" && input.subject.id !== tenantId) {
    throw new ApiError("NOT_FOUND", "Tenant not found");
  }
  if (!(await loadProfile(ctx.db, tenantId, input.subject))) {
    throw new ApiError(
      "NOT_FOUND",
      `${input.subject.type[0]?.toUpperCase()}${input.subject.type.slice(1)} not found`,
    );
  }
  const steps = storesFor(input.subject.type, input.kind).map((s) => newStep(s.name, s.where));
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`with created as (
          insert into privacy_requests (tenant_id, kind, subject_type, subject_id, requested_by, requested_via, steps, fault)
          values (${tenantId}::uuid, ${input.kind}, ${input.subject.type}, ${input.subject.id}::uuid, ${ctx.actor.userId},
                  ${ctx.actor.credential}, ${JSON.stringify(steps)}::jsonb, ${fault ?? null})
          returning *),
        audited as (${auditInsert(
          {
            tenantId,
            action: "privacy.request_created",
            outcome: "success",
            actorType: actorTypeOf(ctx.actor),
            actorId: ctx.actor.userId,
            targetType: "privacy_request",
            targetId: sql`(select id::text from created)`,
            details: { kind: input.kind, subject_type: input.subject.type },
          },
          info,
        )})
        select id::text from created`,
  ]);
  const id = (rows[0] as { id: string }).id;
  return (await loadRequest(ctx.db, tenantId, id)) as RequestRow;
}

export async function getRequest(ctx: ServiceContext, id: string): Promise<RequestRow> {
  const request = await loadRequest(ctx.db, ctx.actor.tenantId, id);
  // Someone else's request answers as a missing one: its existence is not theirs to know.
  if (!request || !mayRead(ctx, request)) throw new ApiError("NOT_FOUND", "Privacy request not found");
  return request;
}

export async function listRequests(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: RequestRow[]; nextCursor: string | null }> {
  const t = ctx.actor.tenantId;
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const [rows = []] = await tenantRows(ctx.db, t, [
    sql`select ${REQUEST_COLUMNS} from privacy_requests where tenant_id = ${t}
        ${after ? sql`and (created_at, id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)` : sql``}
        order by created_at desc, id desc limit ${query.limit + 1}`,
  ]);
  const items = (rows as RequestRow[]).slice(0, query.limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > query.limit && last ? encodeCursor(last.created_at, last.id) : null,
  };
}

const encodeCursor = (createdAt: string, id: string) => btoa(JSON.stringify([createdAt, id]));
function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(atob(cursor)) as [unknown, unknown];
    if (typeof createdAt === "string" && typeof id === "string" && /^[0-9a-f-]{36}$/.test(id))
      return { createdAt, id };
  } catch {}
  throw new ApiError("VALIDATION_ERROR", "Invalid cursor", { field: "cursor" });
}

/**
 * The export's archive (ustar: manifest.json and stores/<store>.json), while it has not expired.
 * Only the tenant's own credentials reach it (row-level security), and only for a reader of the
 * request; each download is audited.
 */
export async function downloadArchive(
  ctx: ServiceContext,
  info: RequestInfo,
  id: string,
): Promise<{ archive: Uint8Array; filename: string }> {
  const request = await getRequest(ctx, id);
  if (request.kind !== "export") throw new ApiError("NOT_FOUND", "An erasure has no archive");
  if (request.status !== "completed") throw new ApiError("CONFLICT", `The export is ${request.status}`);
  if (!request.archive_expires_at || Date.parse(request.archive_expires_at) < Date.now()) {
    throw new ApiError("NOT_FOUND", "The archive expired; request a new export");
  }
  const t = ctx.actor.tenantId;
  const [files = []] = await tenantRows(ctx.db, t, [
    sql`select name, body from privacy_export_files where tenant_id = ${t} and request_id = ${id}::uuid
        order by name = 'manifest' desc, name`,
    auditInsert(
      {
        tenantId: t,
        action: "privacy.export_downloaded",
        outcome: "success",
        actorType: actorTypeOf(ctx.actor),
        actorId: ctx.actor.userId,
        targetType: "privacy_request",
        targetId: id,
      },
      info,
    ),
  ]);
  const entries = (files as { name: string; body: string }[]).map((f) => ({
    name: f.name === "manifest" ? "manifest.json" : `stores/${f.name}.json`,
    body: f.body,
  }));
  return { archive: tarArchive(entries), filename: `privacy-export-${id}.tar` };
}
