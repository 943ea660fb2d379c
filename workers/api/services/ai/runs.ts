import { sql } from "drizzle-orm";
import { tenantRows, utcIso } from "../../../../db/rows";
import type { Config } from "../../env";
import { ApiError } from "../../lib/errors";
import { logError } from "../../lib/log-error";
import type { ServiceContext } from "../context";
import { type LoopResult, type LoopStep, loopError, runAgentLoop, runToolCalls } from "./agent-loop";
import { getAgent, type ResolvedAgent } from "./agents";
import { chatCompletionsModel } from "./chat-completions";
import type { WireMessage, WireToolCall } from "./model-port";
import { resolveModel } from "./model-routing";

// POST /api/v1/agents/execute: an agent's tool loop on one task, recorded as a run (its steps with
// inputs, outputs, timings and usage), paused at `requires_approval` before a gated write.

export interface RunDeps {
  ctx: ServiceContext;
  config: Config;
  budget: number;
}

const RUN_COLUMNS = sql`id, agent_id, agent_version, status, task, result, error, pending_tool_calls, steps,
  input_tokens, output_tokens, inference_region, model, user_id, messages,
  ${utcIso(sql`created_at`)} as created_at, ${sql`case when finished_at is null then null else ${utcIso(sql`finished_at`)} end`} as finished_at`;

interface RunRow {
  id: string;
  agent_id: string;
  agent_version: number;
  status: string;
  task: string;
  result: unknown;
  error: unknown;
  pending_tool_calls: WireToolCall[] | null;
  steps: LoopStep[];
  input_tokens: number;
  output_tokens: number;
  inference_region: string | null;
  model: string | null;
  user_id: string;
  messages: WireMessage[];
  created_at: string;
  finished_at: string | null;
}

export type RunStatus = "queued" | "running" | "requires_approval" | "succeeded" | "failed" | "cancelled";

export function runView(row: RunRow) {
  return {
    id: row.id,
    agent_id: row.agent_id,
    agent_version: Number(row.agent_version),
    status: row.status as RunStatus,
    task: row.task,
    result: row.result as { text: string; output?: unknown } | null,
    error: row.error as { code: string; message: string } | null,
    pending_tool_calls:
      row.pending_tool_calls?.map((c) => ({
        id: c.id,
        name: c.function.name,
        input: safeJson(c.function.arguments),
      })) ?? null,
    steps: row.steps,
    usage: { input_tokens: Number(row.input_tokens), output_tokens: Number(row.output_tokens) },
    inference_region: row.inference_region,
    model: row.model,
    user_id: row.user_id,
    created_at: row.created_at,
    finished_at: row.finished_at,
  };
}
export type RunView = ReturnType<typeof runView>;

const safeJson = (raw: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
};

async function readRun(ctx: ServiceContext, id: string): Promise<RunRow> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${RUN_COLUMNS} from ai_runs where tenant_id = ${tenantId} and id = ${id}`,
  ]);
  const row = rows[0] as RunRow | undefined;
  if (!row) throw ApiError.notFound("Run");
  return row;
}

/** A run is its user's; a role that reads every session (ai.sessions.read_all) reads every run. */
export async function getRun(ctx: ServiceContext, id: string, readsAll: boolean): Promise<RunView> {
  const row = await readRun(ctx, id);
  if (row.user_id !== ctx.actor.userId && !readsAll) throw ApiError.notFound("Run");
  return runView(row);
}

function systemPrompt(agent: ResolvedAgent): string {
  const schema = agent.definition.output_schema;
  return schema
    ? `${agent.definition.instructions}\n\nAnswer with one JSON value matching this JSON Schema, and nothing else:\n${JSON.stringify(schema)}`
    : agent.definition.instructions;
}

function resultOf(agent: ResolvedAgent, text: string): { text: string; output?: unknown } {
  if (!agent.definition.output_schema) return { text };
  const trimmed = text.trim().replace(/^```(?:json)?\s*|\s*```$/g, "");
  try {
    return { text, output: JSON.parse(trimmed) };
  } catch {
    return { text };
  }
}

/** Continues a run's loop from `messages` and stores where it got (after every step, and at its end). */
async function drive(
  deps: RunDeps,
  runId: string,
  agent: ResolvedAgent,
  messages: WireMessage[],
  steps: LoopStep[],
  stepsUsed: number,
  totals: { input_tokens: number; output_tokens: number },
): Promise<void> {
  const { ctx } = deps;
  const tenantId = ctx.actor.tenantId;
  const saveSteps = () =>
    tenantRows(ctx.db, tenantId, [
      sql`update ai_runs set steps = ${JSON.stringify(steps)}::jsonb, updated_at = now() where tenant_id = ${tenantId} and id = ${runId}`,
    ]);
  let result: LoopResult | undefined;
  let failure: { code: string; message: string } | undefined;
  try {
    const resolved = resolveModel(deps.config, agent.definition.model.alias);
    result = await runAgentLoop(
      {
        ctx,
        agent,
        resolved,
        model: chatCompletionsModel(resolved, deps.config.ai.modelTimeoutMs),
        budget: deps.budget,
        usageKeys: { runId },
      },
      messages,
      {
        signal: new AbortController().signal,
        onText: () => undefined,
        onToolCall: () => undefined,
        onToolResult: () => undefined,
        onStep: async (step) => {
          steps.push(step);
          await saveSteps();
        },
      },
      stepsUsed,
    );
  } catch (error) {
    failure = loopError(error);
  }
  const usage = {
    input_tokens: totals.input_tokens + (result?.usage.input_tokens ?? 0),
    output_tokens: totals.output_tokens + (result?.usage.output_tokens ?? 0),
  };
  const status = !result ? "failed" : result.status === "completed" ? "succeeded" : result.status;
  const error = failure ?? result?.error ?? null;
  const finished = status !== "requires_approval";
  await tenantRows(ctx.db, tenantId, [
    sql`update ai_runs set status = ${status},
          result = ${status === "succeeded" && result ? JSON.stringify(resultOf(agent, result.text)) : null}::jsonb,
          error = ${error ? JSON.stringify(error) : null}::jsonb,
          pending_tool_calls = ${result?.pending ? JSON.stringify(result.pending) : null}::jsonb,
          messages = ${JSON.stringify(result?.messages ?? messages)}::jsonb,
          steps = ${JSON.stringify(steps)}::jsonb,
          input_tokens = ${usage.input_tokens}, output_tokens = ${usage.output_tokens},
          finished_at = ${finished ? sql`now()` : sql`null`}, updated_at = now()
        where tenant_id = ${tenantId} and id = ${runId}`,
  ]);
}

/**
 * Starts a run. Resolves the model first (503 when this region has no allowed deployment for the
 * alias: nothing is stored), then records the run and drives it; `work` settles when it stops.
 */
export async function startRun(
  deps: RunDeps,
  input: { agentId: string; task: string },
): Promise<{ runId: string; work: Promise<void> }> {
  const { ctx } = deps;
  const agent = await getAgent(ctx, input.agentId);
  const resolved = resolveModel(deps.config, agent.definition.model.alias);
  const tenantId = ctx.actor.tenantId;
  const runId = crypto.randomUUID();
  await tenantRows(ctx.db, tenantId, [
    sql`insert into ai_runs (id, tenant_id, agent_id, agent_version, user_id, task, status, inference_region, model)
        values (${runId}, ${tenantId}, ${agent.id}, ${agent.version}, ${ctx.actor.userId}, ${input.task}, 'running',
          ${resolved.inferenceRegion}, ${resolved.alias})`,
  ]);
  const messages: WireMessage[] = [
    { role: "system", content: systemPrompt(agent) },
    { role: "user", content: input.task },
  ];
  const work = drive(deps, runId, agent, messages, [], 0, { input_tokens: 0, output_tokens: 0 }).catch(
    (error: unknown) => logError("ai.run", ctx.requestId, error, { run_id: runId }),
  );
  return { runId, work };
}

/**
 * Approves (runs, as the approver) or refuses the tool calls a run paused at, then continues it.
 * Only the run's own user approves: the tools run with that user's permissions.
 */
export async function approveRun(
  deps: RunDeps,
  runId: string,
  approve: boolean,
): Promise<{ work: Promise<void> }> {
  const { ctx } = deps;
  const tenantId = ctx.actor.tenantId;
  const row = await readRun(ctx, runId);
  if (row.user_id !== ctx.actor.userId) throw ApiError.notFound("Run");
  const [claimed = []] = await tenantRows(ctx.db, tenantId, [
    sql`update ai_runs set status = 'running', pending_tool_calls = null, updated_at = now()
        where tenant_id = ${tenantId} and id = ${runId} and status = 'requires_approval' returning id`,
  ]);
  if (claimed.length === 0) {
    throw new ApiError("CONFLICT", `The run is ${row.status}, not waiting for approval`);
  }
  const agent = await getAgent(ctx, row.agent_id, Number(row.agent_version));
  const messages = [...row.messages];
  const steps = [...row.steps];
  const record = {
    onToolResult: () => undefined,
    onStep: (step: LoopStep) => {
      steps.push(step);
    },
  };
  const work = (async () => {
    await runToolCalls(ctx, row.pending_tool_calls ?? [], messages, record, () =>
      approve ? undefined : "A person refused this call; do not retry it",
    );
    const used = steps.filter((s) => s.type === "model").length;
    await drive(deps, runId, agent, messages, steps, used, {
      input_tokens: Number(row.input_tokens),
      output_tokens: Number(row.output_tokens),
    });
  })().catch((error: unknown) => logError("ai.run_approve", ctx.requestId, error, { run_id: runId }));
  return { work };
}
