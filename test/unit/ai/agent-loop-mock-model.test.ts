import type {
  LanguageModelV3StreamPart,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";
import { simulateReadableStream } from "ai";
import { MockLanguageModelV3, MockLanguageModelV4 } from "ai/test";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Database } from "../../../db/client";
import { ApiError } from "../../../workers/api/lib/errors";
import { type LoopHooks, type LoopStep, runAgentLoop } from "../../../workers/api/services/ai/agent-loop";
import type { ResolvedAgent } from "../../../workers/api/services/ai/agents";
import { aiSdkModel } from "../../../workers/api/services/ai/ai-sdk-model";
import { estimateTokens, type WireMessage } from "../../../workers/api/services/ai/model-port";
import type { ResolvedModel } from "../../../workers/api/services/ai/model-routing";
import { listContacts } from "../../../workers/api/services/contacts";
import type { ServiceContext } from "../../../workers/api/services/context";
import { createInvoice } from "../../../workers/api/services/finance/invoices";

// The agent loop driven by the AI SDK's mock language model through the adapter: the loop, its
// tool runner (permissions, input validation) and the usage ledger are the real ones; the CRM and
// finance services a tool calls and the database under the ledger are fakes.

vi.mock(import("../../../workers/api/services/contacts"), async (original) => ({
  ...(await original()),
  listContacts: vi.fn(),
}));
vi.mock(import("../../../workers/api/services/finance/invoices"), async (original) => ({
  ...(await original()),
  createInvoice: vi.fn(),
}));

const dialect = new PgDialect();

/** A database that answers the budget check and keeps the usage ledger's inserts. */
function fakeDb(usedToday = 0) {
  const ledger: Record<string, unknown>[] = [];
  const db = {
    execute: (query: SQL) => query,
    batch: async (queries: SQL[]) =>
      queries.map((query) => {
        const { sql, params } = dialect.sqlToQuery(query);
        if (sql.includes("from ai_usage")) return { rows: [{ used: usedToday }] };
        if (sql.startsWith("insert into ai_usage")) {
          const [, , agent_id, , , model, deployment, region, input, output, estimated, outcome] = params;
          ledger.push({ agent_id, model, deployment, region, input, output, estimated, outcome });
        }
        return { rows: [] };
      }),
  };
  return { db: db as unknown as Database, ledger };
}

const resolved: ResolvedModel = {
  alias: "standard",
  model: "mock-model-id",
  deployment: "mock-deployment",
  baseUrl: "http://model.invalid",
  inferenceRegion: "eu",
};

function agentWith(tools: string[], maxSteps = 4): ResolvedAgent {
  return {
    id: "agent_mock",
    version: 1,
    source: "custom",
    definition: {
      name: "Mock agent",
      description: "",
      instructions: "You help with the CRM.",
      model: { alias: "standard", temperature: 0.2, max_output_tokens: 300 },
      tools: tools.map((name) => ({ name })),
      max_steps: maxSteps,
      output_schema: null,
    },
    createdAt: null,
    updatedAt: null,
  };
}

const start: WireMessage[] = [
  { role: "system", content: "You help with the CRM." },
  { role: "user", content: "Who are my contacts?" },
];

const usage = (input: number, output: number): LanguageModelV4Usage => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

const answer = (deltas: string[], input = 20, output = 5): LanguageModelV4StreamPart[] => [
  { type: "stream-start", warnings: [] },
  { type: "text-start", id: "t1" },
  ...deltas.map((delta) => ({ type: "text-delta" as const, id: "t1", delta })),
  { type: "text-end", id: "t1" },
  { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage: usage(input, output) },
];

/** A tool call streamed as input deltas then the complete call, or (`whole`) as the complete call only. */
const toolCall = (id: string, name: string, input: string, whole = false): LanguageModelV4StreamPart[] => [
  { type: "stream-start", warnings: [] },
  ...(whole
    ? []
    : ([
        { type: "tool-input-start", id, toolName: name },
        { type: "tool-input-delta", id, delta: input.slice(0, 5) },
        { type: "tool-input-delta", id, delta: input.slice(5) },
        { type: "tool-input-end", id },
      ] as const)),
  { type: "tool-call", toolCallId: id, toolName: name, input },
  { type: "finish", finishReason: { unified: "tool-calls", raw: "tool_calls" }, usage: usage(30, 8) },
];

const streamOf = (chunks: LanguageModelV4StreamPart[]) => ({
  stream: simulateReadableStream({ chunks, initialDelayInMs: null, chunkDelayInMs: null }),
});

/** A model that answers the calls in order, one stream each. */
const mockModel = (...calls: LanguageModelV4StreamPart[][]) =>
  new MockLanguageModelV4({ provider: "mock", modelId: "mock-model", doStream: calls.map(streamOf) });

interface HarnessOptions {
  tools?: string[];
  maxSteps?: number;
  approvalRefusal?: string;
  /** Called after each delta is kept. */
  afterText?: (deltas: string[], abort: AbortController) => void;
}

function harness(options: HarnessOptions = {}) {
  const { db, ledger } = fakeDb();
  const ctx: ServiceContext = {
    db,
    actor: {
      userId: "0b9c6f0e-63a4-4f2c-9d4a-1d0b5a0e7c11",
      credential: "access_token",
      tenantId: "7d3e4c1a-2b5f-4e6d-8a9b-0c1d2e3f4a5b",
      role: "Owner",
      scopes: ["crm:write", "finance:write"],
    },
    region: "eu",
    requestId: "req_mock_model",
  };
  const deltas: string[] = [];
  const steps: LoopStep[] = [];
  const toolCalls: unknown[] = [];
  const toolResults: unknown[] = [];
  const abort = new AbortController();
  const hooks: LoopHooks = {
    signal: abort.signal,
    onText: (delta) => {
      deltas.push(delta);
      options.afterText?.(deltas, abort);
    },
    onToolCall: (call) => {
      toolCalls.push(call);
    },
    onToolResult: (result) => {
      toolResults.push(result);
    },
    onStep: (step) => {
      steps.push(step);
    },
    ...(options.approvalRefusal ? { approvalRefusal: options.approvalRefusal } : {}),
  };
  const run = (model: MockLanguageModelV4 | MockLanguageModelV3) =>
    runAgentLoop(
      {
        ctx,
        agent: agentWith(options.tools ?? ["list_contacts"], options.maxSteps),
        resolved,
        model: aiSdkModel(model),
        budget: 1_000_000,
        usageKeys: { sessionId: "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d" },
      },
      start,
      hooks,
    );
  return { ctx, ledger, deltas, steps, toolCalls, toolResults, abort, run };
}

/** The call's usage was estimated from the prompt sent and the text received, and so recorded. */
function expectEstimated(
  h: ReturnType<typeof harness>,
  result: Awaited<ReturnType<typeof runAgentLoop>>,
  received: string,
  outcome: "failed" | "aborted",
) {
  const estimated = {
    input_tokens: estimateTokens(JSON.stringify(start)),
    output_tokens: estimateTokens(received),
  };
  expect(result.usage).toEqual(estimated);
  expect(h.steps[0]?.usage).toEqual({ ...estimated, estimated: true });
  expect(h.ledger).toEqual([
    expect.objectContaining({
      input: estimated.input_tokens,
      output: estimated.output_tokens,
      estimated: true,
      outcome,
    }),
  ]);
}

beforeEach(() => {
  vi.mocked(listContacts).mockReset();
  vi.mocked(createInvoice).mockReset();
});

describe("the agent loop on an AI SDK mock model", () => {
  it("streams a plain answer's deltas and records the provider's usage", async () => {
    const h = harness();
    const model = mockModel(answer(["Hello", ", you have ", "two contacts."], 21, 6));
    const result = await h.run(model);

    expect(h.deltas).toEqual(["Hello", ", you have ", "two contacts."]);
    expect(result).toMatchObject({
      status: "completed",
      text: "Hello, you have two contacts.",
      usage: { input_tokens: 21, output_tokens: 6 },
      modelCalls: 1,
    });
    expect(result.messages.at(-1)).toEqual({ role: "assistant", content: "Hello, you have two contacts." });
    expect(h.steps).toEqual([
      expect.objectContaining({
        type: "model",
        model: "mock-model-id",
        deployment: "mock-deployment",
        inference_region: "eu",
        usage: { input_tokens: 21, output_tokens: 6, estimated: false },
        finish_reason: "stop",
      }),
    ]);
    expect(h.ledger).toEqual([
      expect.objectContaining({ input: 21, output: 6, estimated: false, outcome: "completed" }),
    ]);

    // What the model was given: the spec's prompt, our tools as function tools, the agent's settings.
    const [call] = model.doStreamCalls;
    expect(call?.prompt).toEqual([
      { role: "system", content: "You help with the CRM." },
      { role: "user", content: [{ type: "text", text: "Who are my contacts?" }] },
    ]);
    expect(call).toMatchObject({ temperature: 0.2, maxOutputTokens: 300, toolChoice: { type: "auto" } });
    expect(call?.tools).toEqual([
      expect.objectContaining({
        type: "function",
        name: "list_contacts",
        inputSchema: expect.objectContaining({ type: "object" }),
      }),
    ]);
    expect(call?.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it("runs a tool call as the caller and sends its result back in the next step", async () => {
    const h = harness();
    vi.mocked(listContacts).mockResolvedValue({
      items: [JSON.stringify({ id: "c1", name: "Ada Lovelace" })],
      cursor: null,
      hasMore: false,
    });
    const model = mockModel(
      toolCall("call_1", "list_contacts", '{"limit":2}'),
      answer(["Your contact is Ada Lovelace."]),
    );
    const result = await h.run(model);

    expect(result).toMatchObject({
      status: "completed",
      text: "Your contact is Ada Lovelace.",
      modelCalls: 2,
    });
    expect(result.usage).toEqual({ input_tokens: 50, output_tokens: 13 });
    expect(vi.mocked(listContacts)).toHaveBeenCalledWith(h.ctx, {
      limit: 2,
      includeTotal: false,
      filters: { email: undefined, name: undefined },
    });
    expect(h.toolCalls).toEqual([{ id: "call_1", name: "list_contacts", input: { limit: 2 } }]);
    const output = { items: [{ id: "c1", name: "Ada Lovelace" }], has_more: false };
    expect(h.toolResults).toEqual([{ id: "call_1", name: "list_contacts", output }]);
    expect(h.steps.map((s) => s.type)).toEqual(["model", "tool", "model"]);
    expect(h.steps[0]?.finish_reason).toBe("tool_calls");

    // The second call carries the first step's tool call and the tool's result, in the spec's parts.
    expect(model.doStreamCalls[1]?.prompt.slice(2)).toEqual([
      {
        role: "assistant",
        content: [
          { type: "tool-call", toolCallId: "call_1", toolName: "list_contacts", input: { limit: 2 } },
        ],
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: "call_1",
            toolName: "list_contacts",
            output: { type: "json", value: output },
          },
        ],
      },
    ]);
    expect(h.ledger).toHaveLength(2);
  });

  it("gives a refused tool's error to the model as the tool's result (bad input)", async () => {
    const h = harness();
    const model = mockModel(toolCall("call_1", "list_contacts", '{"limit":500}'), answer(["Sorry."]));
    const result = await h.run(model);
    expect(result.status).toBe("completed");
    expect(vi.mocked(listContacts)).not.toHaveBeenCalled();
    expect(h.toolResults).toEqual([
      {
        id: "call_1",
        name: "list_contacts",
        error: expect.objectContaining({ code: "VALIDATION_ERROR", field: "limit" }),
      },
    ]);
    const sent = model.doStreamCalls[1]?.prompt.at(-1);
    expect(sent).toMatchObject({
      role: "tool",
      content: [{ output: { type: "json", value: { error: { code: "VALIDATION_ERROR" } } } }],
    });
  });

  it("stops at max_steps when the model keeps calling tools", async () => {
    const h = harness({ maxSteps: 2 });
    vi.mocked(listContacts).mockResolvedValue({ items: [], cursor: null, hasMore: false });
    const model = mockModel(
      toolCall("call_1", "list_contacts", '{"limit":1}', true),
      toolCall("call_2", "list_contacts", '{"limit":1}', true),
      toolCall("call_3", "list_contacts", '{"limit":1}', true),
    );
    const result = await h.run(model);
    expect(result).toMatchObject({
      status: "failed",
      modelCalls: 2,
      error: { code: "STEP_LIMIT", message: "The agent used its 2 steps without a final answer" },
    });
    expect(model.doStreamCalls).toHaveLength(2);
    expect(vi.mocked(listContacts)).toHaveBeenCalledTimes(2);
    expect(h.toolCalls).toEqual([
      { id: "call_1", name: "list_contacts", input: { limit: 1 } },
      { id: "call_2", name: "list_contacts", input: { limit: 1 } },
    ]);
  });

  it("ends as failed with the partial usage when the model errors mid-stream", async () => {
    const h = harness();
    const model = mockModel([
      { type: "stream-start", warnings: [] },
      { type: "text-start", id: "t1" },
      { type: "text-delta", id: "t1", delta: "Your contacts are" },
      { type: "error", error: new Error("upstream connection reset") },
    ]);
    const result = await h.run(model);

    expect(h.deltas).toEqual(["Your contacts are"]);
    expect(result.status).toBe("failed");
    expect(result.error).toEqual({
      code: "SERVICE_UNAVAILABLE",
      message: "The model's stream broke off: upstream connection reset",
    });
    expectEstimated(h, result, "Your contacts are", "failed");
  });

  it("ends as failed when the stream closes without a finish", async () => {
    const h = harness();
    const model = mockModel([
      { type: "text-start", id: "t1" },
      { type: "text-delta", id: "t1", delta: "Half an answ" },
    ]);
    const result = await h.run(model);
    expect(result.status).toBe("failed");
    expect(result.error?.message).toBe("The model's stream ended before it finished");
    expect(h.ledger[0]).toMatchObject({ estimated: true, outcome: "failed" });
  });

  it("ends as cancelled with estimated usage when the call is aborted, even by a model that ignores the signal", async () => {
    // The cancel comes while the adapter waits for the next part (as a cancel request does).
    const h = harness({
      afterText: (deltas, abort) => {
        if (deltas.length === 2) setTimeout(() => abort.abort("cancelled"), 20);
      },
    });
    const parts: LanguageModelV4StreamPart[] = [
      { type: "stream-start", warnings: [] },
      { type: "text-start", id: "t1" },
      { type: "text-delta", id: "t1", delta: "Let me look" },
      { type: "text-delta", id: "t1", delta: " that up" },
    ];
    let cancelled = false;
    const model = new MockLanguageModelV4({
      doStream: async () => ({
        // Sends two deltas, then waits forever: only the adapter's cancel ends the read.
        stream: new ReadableStream<LanguageModelV4StreamPart>({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
          },
          cancel() {
            cancelled = true;
          },
        }),
      }),
    });
    const result = await h.run(model);

    expect(cancelled).toBe(true);
    expect(result.status).toBe("cancelled");
    expect(result.text).toBe("Let me look that up");
    expect(result.messages.at(-1)).toEqual({ role: "assistant", content: "Let me look that up" });
    expectEstimated(h, result, "Let me look that up", "aborted");
    // The model saw the loop's signal, aborted.
    expect(model.doStreamCalls[0]?.abortSignal?.aborted).toBe(true);
  });

  it("pauses with requires_approval before an approval-gated write, without running it", async () => {
    const h = harness({ tools: ["list_contacts", "draft_invoice"] });
    const input = JSON.stringify({ contact_id: "6f1d2c3b-4a5e-4f60-8172-93a4b5c6d7e8", currency: "EUR" });
    const model = mockModel(toolCall("call_inv", "draft_invoice", input));
    const result = await h.run(model);

    expect(result.status).toBe("requires_approval");
    expect(result.pending).toEqual([
      { id: "call_inv", type: "function", function: { name: "draft_invoice", arguments: input } },
    ]);
    expect(vi.mocked(createInvoice)).not.toHaveBeenCalled();
    expect(h.toolCalls).toEqual([{ id: "call_inv", name: "draft_invoice", input: JSON.parse(input) }]);
    expect(h.toolResults).toEqual([]);
    // The paused step's assistant message is kept, for the run to continue from after approval.
    expect(result.messages.at(-1)).toMatchObject({ role: "assistant", tool_calls: result.pending });
    expect(model.doStreamCalls).toHaveLength(1);
  });

  it("refuses an approval-gated write in chat (which cannot pause) and lets the model answer", async () => {
    const h = harness({ tools: ["draft_invoice"], approvalRefusal: "Needs approval" });
    const model = mockModel(toolCall("call_inv", "draft_invoice", "{}"), answer(["I cannot draft it here."]));
    const result = await h.run(model);
    expect(result.status).toBe("completed");
    expect(vi.mocked(createInvoice)).not.toHaveBeenCalled();
    expect(h.toolResults).toEqual([
      { id: "call_inv", name: "draft_invoice", error: { code: "FORBIDDEN", message: "Needs approval" } },
    ]);
  });

  it("drives a spec v3 model (an AI SDK 6 provider) the same way", async () => {
    const h = harness();
    vi.mocked(listContacts).mockResolvedValue({ items: [], cursor: null, hasMore: false });
    // The v3 stream parts used here have the v4 shapes (v4 added parts and fields, not changed these).
    const model = new MockLanguageModelV3({
      doStream: [
        toolCall("call_1", "list_contacts", '{"limit":3}', true),
        answer(["No contacts yet."], 40, 4),
      ].map((chunks) => ({
        stream: simulateReadableStream({ chunks: chunks as LanguageModelV3StreamPart[] }),
      })),
    });
    const result = await h.run(model);
    expect(result).toMatchObject({ status: "completed", text: "No contacts yet.", modelCalls: 2 });
    expect(vi.mocked(listContacts)).toHaveBeenCalledOnce();
    expect(h.ledger.map((row) => row.estimated)).toEqual([false, false]);
  });

  it("answers 503 when the model refuses the call before streaming", async () => {
    const h = harness();
    const model = new MockLanguageModelV4({
      provider: "mock",
      modelId: "down",
      doStream: async () => {
        throw new Error("connect ECONNREFUSED");
      },
    });
    const failure = await h.run(model).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ code: "SERVICE_UNAVAILABLE", message: "Model mock/down is unreachable" });
    expect(h.ledger).toEqual([]);
  });
});
