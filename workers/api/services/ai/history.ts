import { sql } from "drizzle-orm";
import { tenantRows, utcIso } from "../../../../db/rows";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import { STALE_TURN_MINUTES } from "./chat-sessions";

/** Messages listed per session in the history (the newest; the session's stream has them all). */
export const MESSAGES_PER_SESSION = 200;

export interface SessionView {
  id: string;
  agent_id: string;
  user_id: string;
  title: string | null;
  streaming: boolean;
  last_event_id: number;
  created_at: string;
  updated_at: string;
  messages: {
    id: string;
    role: "user" | "assistant" | "tool";
    content: string;
    tool_calls: unknown;
    status: string;
    agent_version: number | null;
    inference_region: string | null;
    model: string | null;
    usage: { input_tokens: number; output_tokens: number };
    created_at: string;
  }[];
}

interface SessionRow {
  id: string;
  agent_id: string;
  user_id: string;
  title: string | null;
  streaming: boolean;
  last_seq: string | number;
  created_at: string;
  updated_at: string;
}

interface MessageRow {
  id: string;
  session_id: string;
  role: "user" | "assistant" | "tool";
  content: string;
  tool_calls: unknown;
  status: string;
  agent_version: number | null;
  inference_region: string | null;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  created_at: string;
}

/**
 * GET /api/v1/agents/{id}/history: one user's sessions with this agent, newest first (cursor
 * pagination), each with its messages oldest first. `userId` is the caller unless a role that
 * reads every session asked for someone else's.
 */
export async function sessionHistory(
  ctx: ServiceContext,
  agentId: string,
  userId: string,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<SessionView>> {
  const tenantId = ctx.actor.tenantId;
  const [sessionRows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select id, agent_id, user_id, title, last_seq,
          (turn_id is not null and turn_started_at > now() - make_interval(mins => ${STALE_TURN_MINUTES})) as streaming,
          ${utcIso(sql`created_at`)} as created_at, ${utcIso(sql`updated_at`)} as updated_at
        from ai_sessions
        where tenant_id = ${tenantId} and agent_id = ${agentId} and user_id = ${userId}
          ${afterCursor(query.cursor, sql`created_at`, sql`id`)}
        order by created_at desc, id desc limit ${query.limit + 1}`,
  ]);
  const page = pageOf(sessionRows as SessionRow[], query.limit);
  const ids = page.items.map((s) => s.id);
  const byId = new Map<string, MessageRow[]>();
  if (ids.length > 0) {
    const [messageRows = []] = await tenantRows(ctx.db, tenantId, [
      sql`select * from (
            select id, session_id, role, content, tool_calls, status, agent_version, inference_region, model,
              input_tokens, output_tokens, ${utcIso(sql`created_at`)} as created_at, created_at as at,
              row_number() over (partition by session_id order by created_at desc, id desc) as n
            from ai_messages where tenant_id = ${tenantId} and session_id = any(${sql.param(ids)}::uuid[])) m
          where n <= ${MESSAGES_PER_SESSION} order by at, id`,
    ]);
    for (const m of messageRows as MessageRow[]) {
      const list = byId.get(m.session_id) ?? [];
      list.push(m);
      byId.set(m.session_id, list);
    }
  }
  return {
    ...page,
    items: page.items.map((s) => ({
      id: s.id,
      agent_id: s.agent_id,
      user_id: s.user_id,
      title: s.title,
      streaming: Boolean(s.streaming),
      last_event_id: Number(s.last_seq),
      created_at: s.created_at,
      updated_at: s.updated_at,
      messages: (byId.get(s.id) ?? []).map((m) => ({
        id: m.id,
        role: m.role,
        content: m.content,
        tool_calls: m.tool_calls ?? null,
        status: m.status,
        agent_version: m.agent_version === null ? null : Number(m.agent_version),
        inference_region: m.inference_region,
        model: m.model,
        usage: { input_tokens: Number(m.input_tokens), output_tokens: Number(m.output_tokens) },
        created_at: m.created_at,
      })),
    })),
  };
}
