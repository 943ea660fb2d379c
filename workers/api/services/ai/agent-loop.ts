import { actorMay } from "../../auth/permissions";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { type ResolvedAgent, requiresApproval } from "./agents";
import {
  type CompletionUsage,
  type ModelCaller,
  toolCallInput,
  type WireMessage,
  type WireTool,
  type WireToolCall,
} from "./model-port";
import type { ResolvedModel } from "./model-routing";
import { inputSchemaOf, runTool, toolNamed } from "./tools";
import { assertBudget, recordUsage } from "./usage";

// The tool loop shared by chat turns and runs: call the model, run the tools it asks for as the
// caller, give it their results, until it answers without tools, the step limit is reached, a
// write waits for approval, or the call is cancelled. Budgets are checked before every model call.

export interface LoopStep {
  type: "model" | "tool";
  started_at: string;
  duration_ms: number;
  model?: string;
  deployment?: string;
  inference_region?: string;
  usage?: { input_tokens: number; output_tokens: number; estimated: boolean };
  finish_reason?: string | null;
  tool?: string;
  tool_call_id?: string;
  input?: unknown;
  output?: unknown;
  error?: unknown;
}

export interface LoopHooks {
  signal: AbortSignal;
  onText(delta: string): Promise<void> | void;
  onToolCall(call: { id: string; name: string; input: unknown }): Promise<void> | void;
  onToolResult(result: { id: string; name: string; output?: unknown; error?: unknown }): Promise<void> | void;
  onStep(step: LoopStep): Promise<void> | void;
  /** Chat cannot pause: a gated tool is refused with this message instead. */
  approvalRefusal?: string;
}

export interface LoopDeps {
  ctx: ServiceContext;
  agent: ResolvedAgent;
  /** What steps and the usage ledger name as the model (alias, deployment, inference region). */
  resolved: ResolvedModel;
  /** How the model is called: chatCompletionsModel(resolved, …) in production. */
  model: ModelCaller;
  budget: number;
  usageKeys: { sessionId?: string; runId?: string };
}

export interface LoopResult {
  status: "completed" | "cancelled" | "failed" | "requires_approval";
  text: string;
  messages: WireMessage[];
  usage: { input_tokens: number; output_tokens: number };
  pending?: WireToolCall[];
  error?: { code: string; message: string };
  /** Steps (model calls) made by this invocation. */
  modelCalls: number;
}

export function wireTools(agent: ResolvedAgent): WireTool[] {
  return agent.definition.tools.flatMap((ref) => {
    const tool = toolNamed(ref.name);
    return tool
      ? [
          {
            type: "function" as const,
            function: { name: tool.name, description: tool.description, parameters: inputSchemaOf(tool) },
          },
        ]
      : [];
  });
}

/** Runs the tool calls of one model step, in order, appending their results to `messages`. */
export async function runToolCalls(
  ctx: ServiceContext,
  calls: readonly WireToolCall[],
  messages: WireMessage[],
  hooks: Pick<LoopHooks, "onToolResult" | "onStep">,
  refused?: (call: WireToolCall) => string | undefined,
): Promise<void> {
  for (const call of calls) {
    const started = Date.now();
    const tool = toolNamed(call.function.name);
    const refusal = refused?.(call);
    const outcome = !tool
      ? {
          ok: false as const,
          error: { code: "NOT_FOUND", message: `No tool ${call.function.name} for this agent` },
        }
      : refusal
        ? { ok: false as const, error: { code: "FORBIDDEN", message: refusal } }
        : await runTool(ctx, tool, call.function.arguments);
    const content = JSON.stringify(outcome.ok ? outcome.output : { error: outcome.error });
    messages.push({ role: "tool", tool_call_id: call.id, content });
    await hooks.onToolResult({
      id: call.id,
      name: call.function.name,
      ...(outcome.ok ? { output: outcome.output } : { error: outcome.error }),
    });
    await hooks.onStep({
      type: "tool",
      started_at: new Date(started).toISOString(),
      duration_ms: Date.now() - started,
      tool: call.function.name,
      tool_call_id: call.id,
      input: toolCallInput(call.function.arguments),
      ...(outcome.ok ? { output: outcome.output } : { error: outcome.error }),
    });
  }
}

export async function runAgentLoop(
  deps: LoopDeps,
  start: WireMessage[],
  hooks: LoopHooks,
  stepsUsed = 0,
): Promise<LoopResult> {
  const { ctx, agent, resolved } = deps;
  const messages = [...start];
  const tools = wireTools(agent);
  const total = { input_tokens: 0, output_tokens: 0 };
  let text = "";
  let modelCalls = 0;
  const finish = (status: LoopResult["status"], extra: Partial<LoopResult> = {}): LoopResult => ({
    status,
    text,
    messages,
    usage: total,
    modelCalls,
    ...extra,
  });

  for (let step = stepsUsed; step < agent.definition.max_steps; step++) {
    if (hooks.signal.aborted) return finish("cancelled");
    await assertBudget(ctx, deps.budget);
    const started = Date.now();
    modelCalls++;
    const result = await deps.model.complete(
      {
        messages,
        tools,
        temperature: agent.definition.model.temperature,
        maxOutputTokens: agent.definition.model.max_output_tokens,
      },
      { signal: hooks.signal, onText: hooks.onText },
    );
    const usage: CompletionUsage = result.usage;
    total.input_tokens += usage.inputTokens;
    total.output_tokens += usage.outputTokens;
    await recordUsage(ctx, {
      agentId: agent.id,
      sessionId: deps.usageKeys.sessionId,
      runId: deps.usageKeys.runId,
      resolved,
      usage,
      outcome: result.outcome,
    });
    await hooks.onStep({
      type: "model",
      started_at: new Date(started).toISOString(),
      duration_ms: Date.now() - started,
      model: resolved.model,
      deployment: resolved.deployment,
      inference_region: resolved.inferenceRegion,
      usage: {
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        estimated: usage.estimated,
      },
      finish_reason: result.finishReason,
    });
    text = result.text;
    if (result.outcome === "aborted") {
      if (result.text) messages.push({ role: "assistant", content: result.text });
      return finish("cancelled");
    }
    if (result.outcome === "failed") {
      return finish("failed", {
        error: { code: "SERVICE_UNAVAILABLE", message: result.error ?? "The model failed" },
      });
    }
    messages.push({
      role: "assistant",
      content: result.text || null,
      ...(result.toolCalls.length > 0 ? { tool_calls: result.toolCalls } : {}),
    });
    if (result.toolCalls.length === 0) return finish("completed");
    for (const call of result.toolCalls) {
      await hooks.onToolCall({
        id: call.id,
        name: call.function.name,
        input: toolCallInput(call.function.arguments),
      });
    }
    // A write the caller may not do is refused at once, never paused for approval.
    const gated = result.toolCalls.filter((call) => {
      const tool = toolNamed(call.function.name);
      return tool && requiresApproval(agent, tool.name);
    });
    if (gated.length > 0 && hooks.approvalRefusal === undefined) {
      const allowed = gated.every((call) => {
        const tool = toolNamed(call.function.name);
        return tool && actorMay(ctx.actor, tool.permission);
      });
      if (allowed) return finish("requires_approval", { pending: result.toolCalls });
    }
    await runToolCalls(ctx, result.toolCalls, messages, hooks, (call) =>
      hooks.approvalRefusal !== undefined && requiresApproval(agent, call.function.name)
        ? hooks.approvalRefusal
        : undefined,
    );
  }
  return finish("failed", {
    error: {
      code: "STEP_LIMIT",
      message: `The agent used its ${agent.definition.max_steps} steps without a final answer`,
    },
  });
}

/** The failure a loop may throw before any model call (budget spent, deployment down). */
export function loopError(error: unknown): { code: string; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  return { code: "INTERNAL_ERROR", message: "The agent failed" };
}
