import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { refusesIdempotencyKey } from "../lib/idempotency";
import { serviceContext } from "../lib/service-context";
import { ApproveInput, ExecuteInput, Run, UsageSummary, UuidIdParam } from "../schemas/ai";
import { errorResponses, jsonBody, jsonResponse, queryInteger, successOf } from "../schemas/common";
import { approveRun, getRun, startRun } from "../services/ai/runs";
import { assertBudget, usageSummary } from "../services/ai/usage";
import { AI_SECURITY, budgetOf, keepAlive, readsAll, runDepsOf } from "./ai-common";
import { successBody } from "./iam-common";

const common = { tags: ["ai"], security: AI_SECURITY };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits up to `ms` for the work; whether it finished. */
async function finishedWithin(work: Promise<void>, ms: number): Promise<boolean> {
  if (ms <= 0) return false;
  return Promise.race([work.then(() => true), sleep(ms).then(() => false)]);
}

const RUN_STATES =
  "`status`: running → succeeded (with `result.text`, and `result.output` when the agent has an output schema and " +
  "the answer parsed), failed (`error`), or requires_approval (`pending_tool_calls`, until POST " +
  "/api/v1/ai/runs/{id}/approve). `steps` records every model call (model, deployment, inference region, usage, " +
  "timing) and tool call (input, output or error, timing).";

export function registerRunRoutes(app: OpenAPIHono<AppEnv>): void {
  const use = guardedBy("ai.runs.write");
  const read = guardedBy("ai.runs.read");

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      ...refusesIdempotencyKey(),
      path: "/api/v1/agents/execute",
      summary: "Run an agent on a task",
      description:
        "`Idempotency-Key` is refused (400): a retried execute starts another run; list runs to find the first. " +
        "Runs the agent's tool loop to completion as the caller. Answers 200 with the run when it stops within " +
        "`wait_ms` (default 10 s), else 202 with `data.id` and `Location: /api/v1/ai/runs/{id}` while it goes on. " +
        `${RUN_STATES} A write tool that needs approval pauses the run (when the caller may do that write at all; ` +
        "otherwise the tool is refused and the model told). Refusals before any work: 503 when no deployment this " +
        "region allows serves the agent's model alias, 429 + `Retry-After` when the daily token budget is spent.",
      ...use,
      request: jsonBody(ExecuteInput),
      responses: {
        200: jsonResponse(successOf(Run), "The run, stopped (succeeded, failed or requires_approval)"),
        202: jsonResponse(successOf(Run), "The run, still running"),
        ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const deps = await runDepsOf(c);
      await assertBudget(deps.ctx, deps.budget);
      const { runId, work } = await startRun(deps, { agentId: input.agent_id, task: input.task });
      keepAlive(c, work);
      const finished = await finishedWithin(work, input.wait_ms);
      const run = await getRun(deps.ctx, runId, true);
      c.header("Location", `/api/v1/ai/runs/${runId}`);
      c.header("x-inference-region", run.inference_region ?? c.get("config").region);
      return finished
        ? c.json(successBody(run, c.get("requestId")), 200)
        : c.json(successBody(run, c.get("requestId")), 202);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/api/v1/ai/runs/{id}",
      summary: "Get a run",
      description: `${RUN_STATES} A run is its user's; Owner and Admin read every run. Otherwise 404.`,
      ...read,
      request: { params: UuidIdParam },
      responses: {
        200: jsonResponse(successOf(Run), "The run"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const run = await getRun(serviceContext(c), c.req.valid("param").id, readsAll(c));
      c.header("x-inference-region", run.inference_region ?? c.get("config").region);
      return c.json(successBody(run, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      ...refusesIdempotencyKey(),
      path: "/api/v1/ai/runs/{id}/approve",
      summary: "Approve or refuse a paused run's tool calls",
      description:
        "`Idempotency-Key` is refused (400): a second decision on the same pause is 409. " +
        "For a run in `requires_approval`, by its own user: `approve: true` runs the pending tool calls (with that " +
        "user's permissions, checked again now), `false` tells the model they were refused; the run then continues. " +
        "Answers like execute: 200 when it stopped within 10 s, else 202. 409 when the run is not waiting.",
      ...use,
      request: { params: UuidIdParam, ...jsonBody(ApproveInput) },
      responses: {
        200: jsonResponse(successOf(Run), "The run, stopped"),
        202: jsonResponse(successOf(Run), "The run, still running"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const deps = await runDepsOf(c);
      const id = c.req.valid("param").id;
      const { work } = await approveRun(deps, id, c.req.valid("json").approve);
      keepAlive(c, work);
      const finished = await finishedWithin(work, 10_000);
      const body = successBody(await getRun(deps.ctx, id, true), c.get("requestId"));
      return finished ? c.json(body, 200) : c.json(body, 202);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/api/v1/ai/usage",
      summary: "The tenant's AI token usage",
      description:
        "Today's budget (by tier, per UTC day) and what is used of it, and the ledger summed per day for the last " +
        "`days` days (default 7, at most 90). Every model call counts, cancelled and dropped ones too " +
        "(`estimated_calls`: calls cut short before the provider reported usage, counted from what was streamed).",
      ...guardedBy("ai.usage.read"),
      request: {
        query: z.object({
          days: queryInteger({ min: 1, max: 90 })
            .default(7)
            .openapi({ param: { name: "days", in: "query" } }),
        }),
      },
      responses: {
        200: jsonResponse(successOf(UsageSummary), "Usage"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const { tier, budget } = await budgetOf(c);
      const summary = await usageSummary(serviceContext(c), tier, budget, c.req.valid("query").days);
      return c.json(successBody(summary, c.get("requestId")), 200);
    },
  );
}
