import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { ApiError } from "../lib/errors";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { serviceContext } from "../lib/service-context";
import { Agent, AgentIdParam, AgentInput, AgentPatch } from "../schemas/ai";
import { errorResponses, jsonBody, jsonResponse, successOf } from "../schemas/common";
import {
  agentView,
  createAgent,
  deleteAgent,
  getAgent,
  listAgents,
  updateAgent,
} from "../services/ai/agents";
import { availableAliases } from "../services/ai/model-routing";
import { toolCatalogue } from "../services/ai/tools";
import { AI_SECURITY } from "./ai-common";
import { successBody } from "./iam-common";

const common = { tags: ["ai"], security: AI_SECURITY };

const AgentList = z.object({ status: z.literal("success"), data: z.array(Agent), request_id: z.string() });

function assertAliasServed(aliases: string[], alias: string | undefined): void {
  if (alias !== undefined && !aliases.includes(alias)) {
    throw ApiError.validation([
      {
        field: "model.alias",
        message: `No deployment allowed in this region serves "${alias}"; available: ${aliases.join(", ") || "none"}`,
      },
    ]);
  }
}

/**
 * Agent definitions: `GET /api/v1/agents` (the platform path) and `/api/v1/ai/agents[/{id}]`,
 * the tool catalogue and the model aliases of this region.
 */
export function registerAgentRoutes(app: OpenAPIHono<AppEnv>): void {
  const read = guardedBy("ai.agents.read");
  const write = guardedBy("ai.agents.write");
  const listRoute = (path: string) =>
    createRoute({
      ...common,
      method: "get",
      path,
      summary: "List agents",
      description:
        "The tenant's system agents (from its industry preset, ids `sys_…`, version 1, read-only) then its custom " +
        "agents, newest first. Each lists its tools with their JSON Schema inputs, the permission each needs of the " +
        "caller, and whether a call waits for approval.",
      ...read,
      responses: { 200: jsonResponse(AgentList, "The agents"), ...errorResponses(401, 403, 429, 503) },
    });
  for (const path of ["/api/v1/agents", "/api/v1/ai/agents"]) {
    app.openapi(listRoute(path), async (c) =>
      c.json(successBody((await listAgents(serviceContext(c))).map(agentView), c.get("requestId")), 200),
    );
  }

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/api/v1/ai/agents",
      summary: "Create a custom agent",
      description:
        "Version 1 of a new agent. `model.alias` must be served by a deployment this region may use (400 naming " +
        "`model.alias` otherwise; GET /api/v1/ai/models lists them). Tools come from GET /api/v1/ai/tools.",
      ...write,
      ...acceptsIdempotencyKey(),
      request: jsonBody(AgentInput),
      responses: {
        201: jsonResponse(successOf(Agent), "Created"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      assertAliasServed(availableAliases(c.get("config")), input.model.alias);
      const agent = await createAgent(serviceContext(c), input);
      c.header("Location", `/api/v1/ai/agents/${agent.id}`);
      return c.json(successBody(agentView(agent), c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/api/v1/ai/agents/{id}",
      summary: "Get an agent",
      description: "At its current version. Another tenant's id is 404.",
      ...read,
      request: { params: AgentIdParam },
      responses: {
        200: jsonResponse(successOf(Agent), "The agent"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) =>
      c.json(
        successBody(
          agentView(await getAgent(serviceContext(c), c.req.valid("param").id)),
          c.get("requestId"),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      ...common,
      method: "patch",
      path: "/api/v1/ai/agents/{id}",
      summary: "Change a custom agent (a new version)",
      description:
        "Changes the fields given and bumps `version`; runs and messages keep naming the version they used, which " +
        "stays stored. System agents are read-only (409). Two changes of one version at once: the second is 409.",
      ...write,
      request: { params: AgentIdParam, ...jsonBody(AgentPatch) },
      responses: {
        200: jsonResponse(successOf(Agent), "Changed"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const patch = c.req.valid("json");
      assertAliasServed(availableAliases(c.get("config")), patch.model?.alias);
      const agent = await updateAgent(serviceContext(c), c.req.valid("param").id, patch);
      return c.json(successBody(agentView(agent), c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "delete",
      path: "/api/v1/ai/agents/{id}",
      summary: "Delete a custom agent",
      description:
        "Soft delete: its sessions, runs and versions stay readable. System agents cannot be deleted (409).",
      ...write,
      request: { params: AgentIdParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 409, 429, 503) },
    }),
    async (c) => {
      await deleteAgent(serviceContext(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/api/v1/ai/tools",
      summary: "List the tools agents may use",
      description:
        "Each tool with its JSON Schema input, the permission the caller needs for it (the agent acts as the " +
        "caller) and whether every call waits for approval whatever the agent says. A search tool over resources " +
        "joins this list when the search service is deployed.",
      ...read,
      responses: {
        200: jsonResponse(
          z.object({ status: z.literal("success"), data: z.array(z.unknown()), request_id: z.string() }),
          "The tools",
        ),
        ...errorResponses(401, 403, 429),
      },
    }),
    (c) => c.json(successBody(toolCatalogue(), c.get("requestId")), 200),
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/api/v1/ai/models",
      summary: "List the model aliases of this region",
      description:
        "The aliases an agent may name here: those served by a deployment whose processing this region's residency " +
        "allows. Provider model ids and credentials stay with the regional gateway.",
      ...read,
      responses: {
        200: jsonResponse(
          z.object({
            status: z.literal("success"),
            data: z.array(z.object({ alias: z.string(), inference_region: z.string() })),
            request_id: z.string(),
          }),
          "The aliases",
        ),
        ...errorResponses(401, 403, 429),
      },
    }),
    (c) => {
      const config = c.get("config");
      return c.json(
        successBody(
          availableAliases(config).map((alias) => ({ alias, inference_region: config.region })),
          c.get("requestId"),
        ),
        200,
      );
    },
  );
}
