import { sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import type { WireMessage } from "./model-port";

/** A turn older than this no longer holds its session or counts against the user's stream limit. */
export const STALE_TURN_MINUTES = 15;
/** Messages of earlier turns a new turn gives the model (the newest ones). */
export const HISTORY_MESSAGES = 100;

const activeTurns = (tenantId: string, userId: string) =>
  sql`(select count(*) from ai_sessions where tenant_id = ${tenantId} and user_id = ${userId} and turn_id is not null
        and turn_started_at > now() - make_interval(mins => ${STALE_TURN_MINUTES}))`;

export interface ClaimedTurn {
  sessionId: string;
  turnId: string;
  lastSeq: number;
  userMessageId: string;
}

/** A new session is titled with its first message, cut to this length. */
export const SESSION_TITLE_LENGTH = 80;

/**
 * Opens a turn: a new session, or the caller's own session of this agent that has no turn
 * streaming. At most `maxStreams` turns of one user stream at once (429 beyond); the user's
 * message is stored in the same transaction.
 */
export async function claimTurn(
  ctx: ServiceContext,
  input: { agentId: string; sessionId?: string | undefined; message: string },
  maxStreams: number,
): Promise<ClaimedTurn> {
  const { tenantId, userId } = ctx.actor;
  const turnId = crypto.randomUUID();
  const userMessageId = crypto.randomUUID();
  const sessionId = input.sessionId ?? crypto.randomUUID();
  const claim = input.sessionId
    ? sql`update ai_sessions set turn_id = ${turnId}, turn_started_at = now(), cancel_requested = false, updated_at = now()
          where tenant_id = ${tenantId} and id = ${sessionId} and user_id = ${userId} and agent_id = ${input.agentId}
            and (turn_id is null or turn_started_at <= now() - make_interval(mins => ${STALE_TURN_MINUTES}))
            and ${activeTurns(tenantId, userId)} < ${maxStreams}
          returning last_seq`
    : sql`insert into ai_sessions (id, tenant_id, agent_id, user_id, title, turn_id, turn_started_at)
          select ${sessionId}, ${tenantId}, ${input.agentId}, ${userId}, ${input.message.slice(0, SESSION_TITLE_LENGTH)}, ${turnId}, now()
          where ${activeTurns(tenantId, userId)} < ${maxStreams}
          returning last_seq`;
  const [claimed = []] = await tenantRows(ctx.db, tenantId, [
    claim,
    sql`insert into ai_messages (id, tenant_id, session_id, role, content)
        select ${userMessageId}, ${tenantId}, ${sessionId}, 'user', ${input.message}
        where exists (select 1 from ai_sessions where id = ${sessionId} and turn_id = ${turnId})`,
  ]);
  const row = claimed[0] as { last_seq: string | number } | undefined;
  if (row) return { sessionId, turnId, lastSeq: Number(row.last_seq), userMessageId };

  if (input.sessionId) {
    const [found = []] = await tenantRows(ctx.db, tenantId, [
      sql`select turn_id is not null and turn_started_at > now() - make_interval(mins => ${STALE_TURN_MINUTES}) as busy
          from ai_sessions where tenant_id = ${tenantId} and id = ${sessionId} and user_id = ${userId} and agent_id = ${input.agentId}`,
    ]);
    const session = found[0] as { busy: boolean } | undefined;
    if (!session) throw ApiError.notFound("Session");
    if (session.busy) {
      throw new ApiError(
        "CONFLICT",
        "A turn of this session is still streaming; resume it or cancel it first",
        {
          field: "session_id",
        },
      );
    }
  }
  throw new ApiError("RATE_LIMITED", `At most ${maxStreams} chat streams per user at once`, {
    headers: { "Retry-After": "5" },
  });
}

/** The session's earlier messages, as the model is given them. */
export async function sessionMessages(
  ctx: ServiceContext,
  sessionId: string,
  exceptId: string,
): Promise<WireMessage[]> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select * from (
          select role, content, tool_calls, tool_call_id, created_at, id from ai_messages
          where tenant_id = ${tenantId} and session_id = ${sessionId} and id <> ${exceptId}
          order by created_at desc, id desc limit ${HISTORY_MESSAGES}) m
        order by created_at, id`,
  ]);
  const out: WireMessage[] = [];
  for (const r of rows as {
    role: string;
    content: string;
    tool_calls: unknown;
    tool_call_id: string | null;
  }[]) {
    if (r.role === "user") out.push({ role: "user", content: r.content });
    else if (r.role === "assistant") {
      const calls = Array.isArray(r.tool_calls) && r.tool_calls.length > 0 ? r.tool_calls : undefined;
      out.push({ role: "assistant", content: r.content || null, ...(calls ? { tool_calls: calls } : {}) });
    } else if (r.tool_call_id) out.push({ role: "tool", tool_call_id: r.tool_call_id, content: r.content });
  }
  // A history cut mid-exchange (a tool result without its call) would be refused by providers.
  while (out[0] && out[0].role !== "user") out.shift();
  return out;
}

/** The session when it is the caller's; 404 otherwise (another user's session is not shown). */
export async function ownSession(ctx: ServiceContext, sessionId: string) {
  const { tenantId, userId } = ctx.actor;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select id, agent_id, last_seq, turn_id from ai_sessions
        where tenant_id = ${tenantId} and id = ${sessionId} and user_id = ${userId}`,
  ]);
  const row = rows[0] as
    | { id: string; agent_id: string; last_seq: string; turn_id: string | null }
    | undefined;
  if (!row) throw ApiError.notFound("Session");
  return row;
}

/**
 * Asks the turn streaming in this session to stop. The isolate running it sees the flag within
 * its poll interval and aborts the model call; usage of what was streamed is recorded.
 */
export async function requestCancel(
  ctx: ServiceContext,
  sessionId: string,
): Promise<{ cancelling: boolean }> {
  await ownSession(ctx, sessionId);
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`update ai_sessions set cancel_requested = true
        where tenant_id = ${tenantId} and id = ${sessionId} and turn_id is not null returning id`,
  ]);
  return { cancelling: rows.length > 0 };
}

export interface StoredChunk {
  seq: number;
  type: string;
  data: unknown;
}

/** Chunks after `after`, oldest first, and whether a turn is still streaming. */
export async function chunksAfter(
  ctx: ServiceContext,
  sessionId: string,
  after: number,
  limit: number,
): Promise<{ chunks: StoredChunk[]; streaming: boolean }> {
  const tenantId = ctx.actor.tenantId;
  const [chunks = [], session = []] = await tenantRows(ctx.db, tenantId, [
    sql`select seq, type, data from ai_stream_chunks
        where tenant_id = ${tenantId} and session_id = ${sessionId} and seq > ${after}
        order by seq limit ${limit}`,
    sql`select turn_id is not null and turn_started_at > now() - make_interval(mins => ${STALE_TURN_MINUTES}) as streaming
        from ai_sessions where tenant_id = ${tenantId} and id = ${sessionId}`,
  ]);
  return {
    chunks: (chunks as { seq: string; type: string; data: unknown }[]).map((c) => ({
      seq: Number(c.seq),
      type: c.type,
      data: c.data,
    })),
    streaming: Boolean((session[0] as { streaming: boolean } | undefined)?.streaming),
  };
}
