import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { ApiError } from "../lib/errors";
import { refusesIdempotencyKey } from "../lib/idempotency";
import { serviceContext } from "../lib/service-context";
import { AgentIdParam, ChatInput, Session, UuidIdParam } from "../schemas/ai";
import { errorResponses, jsonResponse, ListQuery, listOf, successOf } from "../schemas/common";
import { getAgent } from "../services/ai/agents";
import { resumeStream } from "../services/ai/chat-replay";
import { claimTurn, requestCancel } from "../services/ai/chat-sessions";
import { CANCEL_POLL_MS, startChatTurn } from "../services/ai/chat-turn";
import { sessionHistory } from "../services/ai/history";
import { resolveModel } from "../services/ai/model-routing";
import { SSE_HEADERS } from "../services/ai/stream-format";
import { assertBudget } from "../services/ai/usage";
import { AI_SECURITY, budgetOf, keepAlive, readsAll } from "./ai-common";
import { pageBody, successBody } from "./iam-common";

const common = { tags: ["ai"], security: AI_SECURITY };

const STREAM_FORMAT =
  "Server-sent events, format v1 (`x-agent-stream-version: 1`). Each event has `id:` (its sequence number in the " +
  "session, increasing across turns), `event:` (its type) and `data:` (JSON): `start` {session_id, turn_id, " +
  "message_id, agent_id, agent_version, model, inference_region} first; then `text-delta` {delta}, `tool-call` " +
  "{tool_call_id, name, input}, `tool-result` {tool_call_id, name, output | error}, `step-finish` {usage, " +
  "finish_reason} per model call; `error` {code, message} when a step fails; last `done` {status: completed | " +
  "cancelled | failed, message_id, usage: {input_tokens, output_tokens}}. Every event is stored in the home " +
  "region's Postgres before it is sent.";

const sseResponse = (description: string) => ({
  description,
  headers: {
    "x-inference-region": {
      schema: { type: "string" as const },
      description: "The region whose deployment computes the answer.",
    },
    "x-agent-stream-version": { schema: { type: "string" as const }, description: "`1`" },
  },
  content: { "text/event-stream": { schema: z.string().openapi({ description: STREAM_FORMAT }) } },
});

/** Last-Event-ID (header, as EventSource sends it) or `?after=`; 0 replays the whole session. */
function afterOf(header: string | undefined, query: string | undefined): number {
  const raw = header ?? query ?? "0";
  if (!/^\d{1,15}$/.test(raw.trim())) {
    throw ApiError.validation([
      {
        field: header === undefined ? "after" : "Last-Event-ID",
        message: "A whole number: the id of the last event received",
      },
    ]);
  }
  return Number(raw.trim());
}

export function registerChatRoutes(app: OpenAPIHono<AppEnv>): void {
  const use = guardedBy("ai.runs.write");
  const read = guardedBy("ai.runs.read");

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      ...refusesIdempotencyKey(),
      path: "/api/v1/agents/chat",
      summary: "Chat with an agent (streamed)",
      description:
        "`Idempotency-Key` is refused (400): a stream is resumed with `Last-Event-ID`, not replayed. " +
        "Sends `message` to the agent in a new session, or in `session_id` (the caller's own session with this agent) " +
        `and streams the answer. ${STREAM_FORMAT} The turn runs to its end even if the connection drops: reconnect ` +
        "with GET /api/v1/ai/sessions/{id}/stream and `Last-Event-ID` for the rest, no event lost or repeated. Closing " +
        "the connection does not stop the model; POST /api/v1/ai/sessions/{id}/cancel does (partial usage is " +
        "recorded). Refusals come before the stream starts, in the envelope: 503 when no deployment this region " +
        "allows serves the agent's model alias, 429 + `Retry-After` when the tenant's daily token budget is spent or " +
        "the user already has the most concurrent streams, 409 when the session is still streaming a turn. Tools " +
        "that need approval are refused in chat (the model is told to use POST /api/v1/agents/execute).",
      ...use,
      request: { body: { content: { "application/json": { schema: ChatInput } }, required: true } },
      responses: {
        200: sseResponse("The turn's events"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const ctx = serviceContext(c);
      const config = c.get("config");
      // Independent checks, one round trip each, side by side: the first token waits for both.
      const [agent, budget] = await Promise.all([
        getAgent(ctx, input.agent_id),
        budgetOf(c).then(async ({ budget }) => {
          await assertBudget(ctx, budget);
          return budget;
        }),
      ]);
      const resolved = resolveModel(config, agent.definition.model.alias);
      const turn = await claimTurn(
        ctx,
        { agentId: agent.id, sessionId: input.session_id, message: input.message },
        config.ai.maxConcurrentStreams,
      );
      const { body, done } = startChatTurn({
        ctx,
        config,
        agent,
        resolved,
        budget,
        turn,
        message: input.message,
      });
      keepAlive(c, done);
      return c.body(body, 200, {
        ...SSE_HEADERS,
        "x-inference-region": resolved.inferenceRegion,
        "x-model": resolved.alias,
        "x-session-id": turn.sessionId,
      });
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/api/v1/ai/sessions/{id}/stream",
      summary: "Resume a chat stream",
      description:
        "The session's events after `Last-Event-ID` (or `?after=`), from Postgres: what was stored, then, while a turn " +
        "still streams, each event as it is stored, ending with the turn's `done`. Without either, the whole " +
        "session from its first event. Only the session's own user (another user's session is 404).",
      ...read,
      request: {
        params: UuidIdParam,
        query: z.object({
          after: z
            .string()
            .max(16)
            .optional()
            .openapi({ param: { name: "after", in: "query" }, description: "The last event id received." }),
        }),
      },
      responses: {
        200: sseResponse("The events after the given id"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const ctx = serviceContext(c);
      const after = afterOf(c.req.header("Last-Event-ID"), c.req.valid("query").after);
      const body = await resumeStream(ctx, c.req.valid("param").id, after);
      return c.body(body, 200, { ...SSE_HEADERS, "x-inference-region": c.get("config").region });
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      ...refusesIdempotencyKey(),
      path: "/api/v1/ai/sessions/{id}/cancel",
      summary: "Cancel the streaming turn of a session",
      description:
        "`Idempotency-Key` is refused (400): cancelling again changes nothing. " +
        `Stops the model call of the turn streaming in this session (within ${CANCEL_POLL_MS} ms of this answer): the ` +
        "stream ends with `done` {status: cancelled}, the partial answer is stored and the tokens used are recorded " +
        "in the usage ledger. `cancelling: false` when no turn was streaming. Only the session's own user.",
      ...use,
      request: { params: UuidIdParam },
      responses: {
        202: jsonResponse(successOf(z.object({ cancelling: z.boolean() })), "Cancel requested"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const result = await requestCancel(serviceContext(c), c.req.valid("param").id);
      return c.json(successBody(result, c.get("requestId")), 202);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/api/v1/agents/{id}/history",
      summary: "An agent's chat history (yours)",
      description:
        "Your sessions with this agent, newest first (cursor pagination), each with its messages oldest first " +
        "(the newest 200; its stream holds every event). Each message says which agent version, model and region " +
        "served it, and its usage. Sessions are per user: `user_id` reads another user's, for Owner and Admin " +
        "(`ai.sessions.read_all`) only (403 otherwise).",
      ...read,
      request: {
        params: AgentIdParam,
        query: ListQuery.omit({ include_total: true }).extend({
          user_id: z
            .uuid()
            .optional()
            .openapi({ param: { name: "user_id", in: "query" } }),
        }),
      },
      responses: {
        200: jsonResponse(listOf(Session), "A page of sessions"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const ctx = serviceContext(c);
      const q = c.req.valid("query");
      const agentId = c.req.valid("param").id;
      if (q.user_id && q.user_id !== ctx.actor.userId && !readsAll(c)) {
        throw new ApiError("FORBIDDEN", "Reading another user's sessions needs ai.sessions.read_all");
      }
      // No agent lookup: a deleted custom agent's history stays readable (an unknown id is an empty page).
      const page = await sessionHistory(ctx, agentId, q.user_id ?? ctx.actor.userId, {
        limit: q.limit,
        cursor: q.cursor,
      });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );
}
