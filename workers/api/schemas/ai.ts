import { z } from "@hono/zod-openapi";
import { TOOL_NAMES } from "../services/ai/tools";

export const MAX_STEPS_LIMIT = 20;

export const AgentIdParam = z.object({
  id: z
    .string()
    .regex(
      /^(sys_[a-z][a-z0-9_]{0,62}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
      "An agent id: `sys_…` (a system agent) or a UUID (a custom one)",
    )
    .openapi({ param: { name: "id", in: "path" }, example: "sys_sales_assistant" }),
});

export const UuidIdParam = z.object({
  id: z
    .uuid()
    .openapi({ param: { name: "id", in: "path" }, example: "3f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f01" }),
});

const AgentToolRef = z
  .strictObject({
    name: z.enum(TOOL_NAMES).openapi({ description: "A tool of GET /api/v1/ai/tools." }),
    requires_approval: z.boolean().optional().openapi({
      description:
        "Pause the run for a person's approval before each call. Tools that always need it (`draft_invoice`) cannot turn it off.",
    }),
  })
  .openapi("AgentToolRef");

const ModelSettings = z
  .strictObject({
    alias: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{0,62}$/)
      .openapi({
        description:
          "A model alias (GET /api/v1/ai/models), resolved per region to an allowed deployment at run time; never a provider's model id.",
        example: "standard",
      }),
    temperature: z.number().min(0).max(2).default(0.2),
    max_output_tokens: z.number().int().min(1).max(32_000).default(1024),
  })
  .openapi("AgentModelSettings");

const definitionFields = {
  name: z.string().trim().min(1).max(100).openapi({ example: "Overdue invoice follow-up" }),
  description: z.string().max(500).default(""),
  instructions: z
    .string()
    .min(1)
    .max(20_000)
    .openapi({ description: "The system prompt.", example: "List open invoices and say who owes what." }),
  model: ModelSettings,
  tools: z
    .array(AgentToolRef)
    .max(20)
    .default([])
    .refine((tools) => new Set(tools.map((t) => t.name)).size === tools.length, "Each tool is listed once"),
  max_steps: z
    .number()
    .int()
    .min(1)
    .max(MAX_STEPS_LIMIT)
    .default(6)
    .openapi({
      description: `Model calls a run or chat turn may make (a tool round trip is one step), at most ${MAX_STEPS_LIMIT}.`,
    }),
  output_schema: z.record(z.string(), z.unknown()).nullable().default(null).openapi({
    description:
      "A JSON Schema the final answer of POST /agents/execute is asked to match; `result.output` holds the parsed JSON when it does.",
  }),
};

export const AgentInput = z.strictObject(definitionFields).openapi("AgentInput");
export type AgentInput = z.infer<typeof AgentInput>;

export const AgentPatch = z
  .strictObject({
    name: definitionFields.name.optional(),
    description: z.string().max(500).optional(),
    instructions: definitionFields.instructions.optional(),
    model: ModelSettings.partial().strict().optional(),
    tools: definitionFields.tools.optional(),
    max_steps: z.number().int().min(1).max(MAX_STEPS_LIMIT).optional(),
    output_schema: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, "Give at least one field to change")
  .openapi("AgentPatch");
export type AgentPatch = z.infer<typeof AgentPatch>;

/** A stored definition (the jsonb of ai_agents / ai_agent_versions). */
export interface AgentDefinition {
  name: string;
  description: string;
  instructions: string;
  model: { alias: string; temperature: number; max_output_tokens: number };
  tools: { name: string; requires_approval?: boolean | undefined }[];
  max_steps: number;
  output_schema: Record<string, unknown> | null;
}

export const Agent = z
  .object({
    id: z.string().openapi({ example: "sys_sales_assistant" }),
    version: z
      .number()
      .int()
      .openapi({ description: "Bumped by every change; runs and messages record it." }),
    source: z.enum(["system", "custom"]),
    name: z.string(),
    description: z.string(),
    instructions: z.string(),
    model: z.object({ alias: z.string(), temperature: z.number(), max_output_tokens: z.number().int() }),
    tools: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        permission: z.string(),
        requires_approval: z.boolean(),
        input_schema: z.unknown(),
      }),
    ),
    max_steps: z.number().int(),
    output_schema: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string().nullable(),
    updated_at: z.string().nullable(),
  })
  .openapi("Agent");

export const ChatInput = z
  .strictObject({
    agent_id: AgentIdParam.shape.id.openapi({ param: undefined }),
    message: z.string().min(1).max(32_000),
    session_id: z.uuid().optional().openapi({ description: "Continue this session (yours, same agent)." }),
  })
  .openapi("ChatInput");

export const ExecuteInput = z
  .strictObject({
    agent_id: AgentIdParam.shape.id.openapi({ param: undefined }),
    task: z.string().min(1).max(32_000),
    wait_ms: z.number().int().min(0).max(25_000).default(10_000).openapi({
      description:
        "How long to wait for the run to finish before answering 202 with its id (0: always 202). Default 10 s.",
    }),
  })
  .openapi("ExecuteInput");

export const ApproveInput = z
  .strictObject({
    approve: z
      .boolean()
      .openapi({ description: "true runs the paused tool call; false refuses it (the model is told)." }),
  })
  .openapi("ApproveInput");

export const RunStep = z
  .object({
    type: z.enum(["model", "tool"]),
    started_at: z.string(),
    duration_ms: z.number(),
    model: z.string().optional(),
    deployment: z.string().optional(),
    inference_region: z.string().optional(),
    usage: z
      .object({ input_tokens: z.number(), output_tokens: z.number(), estimated: z.boolean() })
      .optional(),
    finish_reason: z.string().nullable().optional(),
    tool: z.string().optional(),
    tool_call_id: z.string().optional(),
    input: z.unknown().optional(),
    output: z.unknown().optional(),
    error: z.unknown().optional(),
  })
  .openapi("RunStep");

export const Run = z
  .object({
    id: z.uuid(),
    agent_id: z.string(),
    agent_version: z.number().int(),
    status: z.enum(["queued", "running", "requires_approval", "succeeded", "failed", "cancelled"]),
    task: z.string(),
    result: z.object({ text: z.string(), output: z.unknown().optional() }).nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    pending_tool_calls: z
      .array(z.object({ id: z.string(), name: z.string(), input: z.unknown() }))
      .nullable()
      .openapi({
        description:
          "While `requires_approval`: the model step's tool calls, run together once POST /api/v1/ai/runs/{id}/approve approves them.",
      }),
    steps: z.array(RunStep),
    usage: z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }),
    inference_region: z.string().nullable(),
    model: z.string().nullable(),
    user_id: z.uuid(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi("AgentRun");

export const HistoryMessage = z
  .object({
    id: z.uuid(),
    role: z.enum(["user", "assistant", "tool"]),
    content: z.string(),
    tool_calls: z.unknown().nullable(),
    status: z.string(),
    agent_version: z.number().int().nullable(),
    inference_region: z.string().nullable(),
    model: z.string().nullable(),
    usage: z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }),
    created_at: z.string(),
  })
  .openapi("AgentMessage");

export const Session = z
  .object({
    id: z.uuid(),
    agent_id: z.string(),
    user_id: z.uuid(),
    title: z.string().nullable(),
    streaming: z.boolean(),
    last_event_id: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    messages: z.array(HistoryMessage),
  })
  .openapi("AgentSession");

export const UsageSummary = z
  .object({
    day: z.string(),
    tier: z.string(),
    budget_tokens: z.number().int(),
    used_tokens: z.number().int(),
    remaining_tokens: z.number().int(),
    by_day: z.array(
      z.object({
        day: z.string(),
        input_tokens: z.number().int(),
        output_tokens: z.number().int(),
        calls: z.number().int(),
        estimated_calls: z.number().int(),
      }),
    ),
  })
  .openapi("AiUsage");
