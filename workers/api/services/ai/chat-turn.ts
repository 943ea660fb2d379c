import { sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import type { Config } from "../../env";
import { logError } from "../../lib/log-error";
import type { ServiceContext } from "../context";
import { type LoopStep, loopError, runAgentLoop } from "./agent-loop";
import type { ResolvedAgent } from "./agents";
import { chatCompletionsModel } from "./chat-completions";
import { type ClaimedTurn, sessionMessages } from "./chat-sessions";
import { ChunkWriter } from "./chunk-writer";
import type { WireMessage } from "./model-port";
import type { ResolvedModel } from "./model-routing";
import { sseEvent } from "./stream-format";

/** How often a streaming turn looks for a cancel request (the bound on cancel taking effect). */
export const CANCEL_POLL_MS = 200;

export const CHAT_APPROVAL_REFUSAL =
  "This tool needs a person's approval, which chat cannot pause for: run the task with POST /api/v1/agents/execute and approve the run";

export interface ChatTurnDeps {
  ctx: ServiceContext;
  config: Config;
  agent: ResolvedAgent;
  resolved: ResolvedModel;
  budget: number;
  turn: ClaimedTurn;
  message: string;
}

/**
 * Runs one chat turn and streams it. Each event is written to the session's chunks in Postgres,
 * then sent (chunk-writer.ts: the events of one round trip are written together). The turn does not depend on the client: a dropped connection only stops the sending
 * (the rest is stored for a resume); only a cancel request stops the model call. `done` settles
 * when everything is stored; the caller keeps the isolate alive for it (waitUntil).
 */
export function startChatTurn(deps: ChatTurnDeps): { body: ReadableStream<Uint8Array>; done: Promise<void> } {
  const { ctx, agent, resolved, turn } = deps;
  const tenantId = ctx.actor.tenantId;
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  let attached = true;
  let seq = turn.lastSeq;
  const messageId = crypto.randomUUID();

  const send = (bytes: Uint8Array) => {
    if (!attached) return;
    // Not awaited: a slow client must not slow the model call or the persistence.
    writer.write(bytes).catch(() => {
      attached = false;
    });
  };
  const abort = new AbortController();
  const cancelRequested = sql`select cancel_requested from ai_sessions where tenant_id = ${tenantId} and id = ${turn.sessionId}`;
  let lastCancelCheck = Date.now();
  const noteCancel = (rows: unknown[] = []) => {
    lastCancelCheck = Date.now();
    if ((rows[0] as { cancel_requested: boolean } | undefined)?.cancel_requested) abort.abort("cancelled");
  };

  const chunks = new ChunkWriter(
    async (batch) => {
      // Each write also reads whether a cancel was asked for: a streaming turn needs no poll of its own.
      const [, cancel] = await tenantRows(ctx.db, tenantId, [
        sql`insert into ai_stream_chunks (tenant_id, session_id, seq, turn_id, type, data) values ${sql.join(
          batch.map(
            (chunk) =>
              sql`(${tenantId}, ${turn.sessionId}, ${chunk.seq}, ${turn.turnId}, ${chunk.type}, ${JSON.stringify(chunk.data)}::jsonb)`,
          ),
          sql`, `,
        )}`,
        cancelRequested,
      ]);
      noteCancel(cancel);
    },
    (chunk) => send(sseEvent(chunk.seq, chunk.type, chunk.data)),
  );
  /** Queues an event (stored, then sent, in order); the model loop does not wait for the database. */
  const emit = (type: string, data: unknown) => chunks.push({ seq: ++seq, type, data });
  /** An event after which nothing else streams: waits until it and all before it are stored and sent. */
  const emitLast = async (type: string, data: unknown) => {
    await emit(type, data);
    await chunks.flush();
  };

  // While nothing is written (waiting for the model's first token, a tool), ask on a timer.
  let polling = false;
  const poll = setInterval(() => {
    if (polling || abort.signal.aborted || Date.now() - lastCancelCheck < CANCEL_POLL_MS) return;
    polling = true;
    tenantRows(ctx.db, tenantId, [cancelRequested])
      .then(([rows]) => noteCancel(rows))
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  }, CANCEL_POLL_MS);

  const run = async () => {
    const steps: LoopStep[] = [];
    let status: "completed" | "cancelled" | "failed" = "failed";
    let text = "";
    let produced: WireMessage[] = [];
    let usage = { input_tokens: 0, output_tokens: 0 };
    try {
      // The start event is written while the history is read: one round trip less before the model.
      const [, history] = await Promise.all([
        emit("start", {
          session_id: turn.sessionId,
          turn_id: turn.turnId,
          message_id: messageId,
          agent_id: agent.id,
          agent_version: agent.version,
          model: resolved.alias,
          inference_region: resolved.inferenceRegion,
        }),
        sessionMessages(ctx, turn.sessionId, turn.userMessageId),
      ]);
      const start: WireMessage[] = [
        { role: "system", content: agent.definition.instructions },
        ...history,
        { role: "user", content: deps.message },
      ];
      try {
        const result = await runAgentLoop(
          {
            ctx,
            agent,
            resolved,
            model: chatCompletionsModel(resolved, deps.config.ai.modelTimeoutMs),
            budget: deps.budget,
            usageKeys: { sessionId: turn.sessionId },
          },
          start,
          {
            signal: abort.signal,
            onText: (delta) => emit("text-delta", { delta }),
            onToolCall: (call) =>
              emit("tool-call", { tool_call_id: call.id, name: call.name, input: call.input }),
            onToolResult: (r) =>
              emit("tool-result", {
                tool_call_id: r.id,
                name: r.name,
                ...(r.error === undefined ? { output: r.output } : { error: r.error }),
              }),
            onStep: async (step) => {
              steps.push(step);
              if (step.type === "model") {
                await emit("step-finish", {
                  type: "model",
                  usage: step.usage,
                  finish_reason: step.finish_reason ?? null,
                });
              }
            },
            approvalRefusal: CHAT_APPROVAL_REFUSAL,
          },
        );
        status = result.status === "requires_approval" ? "failed" : result.status;
        text = result.text;
        usage = result.usage;
        produced = result.messages.slice(start.length);
        if (result.error) await emit("error", result.error);
      } catch (error) {
        status = "failed";
        await emit("error", loopError(error)).catch(() => undefined);
      }
      await emitLast("done", { status, message_id: messageId, usage });
    } catch (error) {
      logError("ai.chat_turn", ctx.requestId, error);
    } finally {
      clearInterval(poll);
      await finishTurn(ctx, deps, messageId, { status, text, produced, usage, seq }).catch((error: unknown) =>
        logError("ai.chat_turn_finish", ctx.requestId, error),
      );
      // Not awaited: closing waits for the client to read what is queued, which may never happen.
      if (attached) writer.close().catch(() => undefined);
    }
  };
  return { body: readable, done: run() };
}

/** Stores the turn's messages and frees the session (the `done` chunk is already stored). */
async function finishTurn(
  ctx: ServiceContext,
  deps: ChatTurnDeps,
  messageId: string,
  outcome: {
    status: "completed" | "cancelled" | "failed";
    text: string;
    produced: WireMessage[];
    usage: { input_tokens: number; output_tokens: number };
    seq: number;
  },
): Promise<void> {
  const tenantId = ctx.actor.tenantId;
  const { turn, agent, resolved } = deps;
  // The loop's intermediate messages (tool calls and results) come before the final answer.
  const last = outcome.produced.at(-1);
  const intermediate =
    last?.role === "assistant" && !last.tool_calls ? outcome.produced.slice(0, -1) : outcome.produced;
  const inserts = intermediate.map((m) =>
    m.role === "tool"
      ? sql`insert into ai_messages (tenant_id, session_id, role, content, tool_call_id)
            values (${tenantId}, ${turn.sessionId}, 'tool', ${m.content}, ${m.tool_call_id})`
      : sql`insert into ai_messages (tenant_id, session_id, role, content, tool_calls, agent_version, inference_region, model, deployment)
            values (${tenantId}, ${turn.sessionId}, 'assistant', ${("content" in m && m.content) || ""},
              ${"tool_calls" in m && m.tool_calls ? JSON.stringify(m.tool_calls) : null}::jsonb,
              ${agent.version}, ${resolved.inferenceRegion}, ${resolved.model}, ${resolved.deployment})`,
  );
  await tenantRows(ctx.db, tenantId, [
    ...inserts,
    sql`insert into ai_messages (id, tenant_id, session_id, role, content, status, agent_version, inference_region,
          model, deployment, input_tokens, output_tokens)
        values (${messageId}, ${tenantId}, ${turn.sessionId}, 'assistant', ${outcome.text}, ${outcome.status},
          ${agent.version}, ${resolved.inferenceRegion}, ${resolved.model}, ${resolved.deployment},
          ${outcome.usage.input_tokens}, ${outcome.usage.output_tokens})`,
    sql`update ai_sessions set turn_id = null, turn_started_at = null, cancel_requested = false,
          last_seq = greatest(last_seq, ${outcome.seq}), updated_at = now()
        where tenant_id = ${tenantId} and id = ${turn.sessionId} and turn_id = ${turn.turnId}`,
  ]);
}
