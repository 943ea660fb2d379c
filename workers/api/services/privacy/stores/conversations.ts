import { sql } from "drizzle-orm";
import { SESSION_TITLE_LENGTH } from "../../ai/chat-sessions";
import { deleteTenantRows, isTenant, outcomeOf, tenantChanges, tenantSelect } from "../store-sql";
import { identifierPattern, mentions, redactJson, redactText } from "../text-match";
import type { PersonalDataStore, StoreContext } from "../types";

/** Stands for an erased user in ledgers that keep their counts (a uuid column that must not be null). */
export const ERASED_USER = "00000000-0000-0000-0000-000000000000";

const userId = (ctx: StoreContext) => (ctx.profile.subject.type === "user" ? ctx.profile.subject.id : null);

/**
 * Chat history of the realtime rooms. A user's own messages go; other people's messages that
 * quote the subject keep their text with the subject's identifiers redacted. Exported mentions
 * leave out their author (another person).
 */
export const chatStore: PersonalDataStore = {
  name: "realtime.chat_messages",
  where: "postgres",
  description: "Chat messages of the tenant's realtime rooms (author and text).",
  columns: { chat_messages: ["user_id", "body"] },
  subjects: ["contact", "lead", "user", "tenant"],
  export(ctx) {
    const pattern = identifierPattern(ctx.profile.identifiers);
    const user = userId(ctx);
    return tenantSelect(
      ctx,
      sql`select id, room, seq, case when user_id = ${user}::uuid then user_id end as user_id, body, created_at
          from chat_messages where tenant_id = ${ctx.tenantId}
            and (user_id = ${user}::uuid or ${mentions(sql`body`, pattern)}) order by room, seq`,
    );
  },
  async erase(ctx) {
    const t = ctx.tenantId;
    if (isTenant(ctx))
      return outcomeOf(await tenantChanges(ctx, [sql`delete from chat_messages where tenant_id = ${t}`]));
    const pattern = identifierPattern(ctx.profile.identifiers);
    const user = userId(ctx);
    const [deleted = 0, redacted = 0] = await tenantChanges(ctx, [
      sql`delete from chat_messages where tenant_id = ${t} and user_id = ${user}::uuid`,
      sql`update chat_messages set body = ${redactText(sql`body`, pattern)} where tenant_id = ${t} and ${mentions(sql`body`, pattern)}`,
    ]);
    if (deleted > 0) return { action: "deleted", rows: deleted + redacted };
    return outcomeOf([redacted], "anonymised");
  },
};

/** Sessions whose transcript quotes the subject. */
const quotingSessions = (t: string, pattern: string | undefined) =>
  sql`select session_id from ai_messages where tenant_id = ${t}
      and (${mentions(sql`content`, pattern)} or ${mentions(sql`tool_calls`, pattern)})`;

/**
 * Agent chat sessions (their transcript and stream chunks), runs and the usage ledger. A user's
 * sessions and runs go whole; the ledger keeps its counts without the user; transcripts that
 * quote another subject are redacted in place.
 */
export const aiStore: PersonalDataStore = {
  name: "ai.sessions_and_runs",
  where: "postgres",
  description: "AI agent sessions, messages, streamed chunks, runs and usage records.",
  columns: {
    ai_sessions: ["user_id", "title"],
    ai_messages: ["content", "tool_calls"],
    ai_stream_chunks: ["data"],
    ai_runs: ["user_id", "task", "result", "error", "messages", "steps", "pending_tool_calls"],
    ai_usage: ["user_id"],
  },
  subjects: ["contact", "lead", "user", "tenant"],
  async export(ctx) {
    const t = ctx.tenantId;
    const pattern = identifierPattern(ctx.profile.identifiers);
    const user = userId(ctx);
    const [sessions, messages, runs] = await Promise.all([
      tenantSelect(
        ctx,
        sql`select id, agent_id, title, created_at from ai_sessions where tenant_id = ${t} and user_id = ${user}::uuid`,
      ),
      tenantSelect(
        ctx,
        sql`select m.id, m.session_id, m.role, m.content, m.tool_calls, m.created_at from ai_messages m
            where m.tenant_id = ${t} and (m.session_id in (select id from ai_sessions where tenant_id = ${t} and user_id = ${user}::uuid)
              or ${mentions(sql`m.content`, pattern)} or ${mentions(sql`m.tool_calls`, pattern)}) order by m.created_at`,
      ),
      tenantSelect(
        ctx,
        sql`select id, agent_id, task, status, result, created_at from ai_runs where tenant_id = ${t}
            and (user_id = ${user}::uuid or ${mentions(sql`task`, pattern)} or ${mentions(sql`result`, pattern)}
              or ${mentions(sql`messages`, pattern)})`,
      ),
    ]);
    return [
      ...sessions.map((r) => ({ type: "session", ...(r as object) })),
      ...messages.map((r) => ({ type: "message", ...(r as object) })),
      ...runs.map((r) => ({ type: "run", ...(r as object) })),
    ];
  },
  async erase(ctx) {
    const t = ctx.tenantId;
    if (isTenant(ctx)) {
      return outcomeOf(
        await deleteTenantRows(ctx, [
          "ai_stream_chunks",
          "ai_messages",
          "ai_sessions",
          "ai_runs",
          "ai_usage",
        ]),
      );
    }
    const pattern = identifierPattern(ctx.profile.identifiers);
    const user = userId(ctx);
    const sessions = sql`select id from ai_sessions where tenant_id = ${t} and user_id = ${user}::uuid`;
    const counts = await tenantChanges(ctx, [
      sql`delete from ai_stream_chunks where tenant_id = ${t} and session_id in (${sessions})`,
      sql`delete from ai_messages where tenant_id = ${t} and session_id in (${sessions})`,
      sql`update ai_usage set user_id = ${ERASED_USER}::uuid, session_id = null where tenant_id = ${t} and user_id = ${user}::uuid`,
      sql`delete from ai_sessions where tenant_id = ${t} and user_id = ${user}::uuid`,
      sql`delete from ai_runs where tenant_id = ${t} and user_id = ${user}::uuid`,
      // Before the transcript is redacted: the chunks and the title are copies of it, cut where
      // an identifier can straddle the cut ("…at ada@exam"), so matching them alone misses it.
      // A quoting session's stream chunks go (they only replay a stream; the messages are the
      // record), and its title is made again from its first message, redacted.
      sql`delete from ai_stream_chunks where tenant_id = ${t} and (${mentions(sql`data`, pattern)}
            or session_id in (${quotingSessions(t, pattern)}))`,
      sql`update ai_sessions s set title = coalesce(left(${redactText(
        sql`(select m.content from ai_messages m where m.tenant_id = ${t} and m.session_id = s.id and m.role = 'user'
              order by m.created_at, m.id limit 1)`,
        pattern,
      )}, ${SESSION_TITLE_LENGTH}), ${redactText(sql`s.title`, pattern)})
          where s.tenant_id = ${t} and (${mentions(sql`s.title`, pattern)} or s.id in (${quotingSessions(t, pattern)}))`,
      sql`update ai_messages set content = ${redactText(sql`content`, pattern)}, tool_calls = ${redactJson(sql`tool_calls`, pattern)}
          where tenant_id = ${t} and (${mentions(sql`content`, pattern)} or ${mentions(sql`tool_calls`, pattern)})`,
      sql`update ai_runs set task = ${redactText(sql`task`, pattern)}, result = ${redactJson(sql`result`, pattern)},
            error = ${redactJson(sql`error`, pattern)}, messages = ${redactJson(sql`messages`, pattern)},
            steps = ${redactJson(sql`steps`, pattern)}, pending_tool_calls = ${redactJson(sql`pending_tool_calls`, pattern)}
          where tenant_id = ${t} and (${mentions(sql`task`, pattern)} or ${mentions(sql`result`, pattern)} or ${mentions(sql`error`, pattern)}
            or ${mentions(sql`messages`, pattern)} or ${mentions(sql`steps`, pattern)} or ${mentions(sql`pending_tool_calls`, pattern)})`,
    ]);
    const deleted = (counts[0] ?? 0) + (counts[1] ?? 0) + (counts[3] ?? 0) + (counts[4] ?? 0);
    if (deleted > 0) return { action: "deleted", rows: deleted };
    return outcomeOf(counts, "anonymised");
  },
};
