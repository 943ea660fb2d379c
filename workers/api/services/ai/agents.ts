import { sql } from "drizzle-orm";
import { presetAgents } from "../../../../db/presets/agents";
import { tenantRows, utcIso } from "../../../../db/rows";
import { ApiError } from "../../lib/errors";
import type { AgentDefinition, AgentInput, AgentPatch } from "../../schemas/ai";
import type { ServiceContext } from "../context";
import { inputSchemaOf, toolNamed } from "./tools";

/** An agent as runs use it: its definition at one version. */
export interface ResolvedAgent {
  id: string;
  version: number;
  source: "system" | "custom";
  definition: AgentDefinition;
  createdAt: string | null;
  updatedAt: string | null;
}

/** The model alias system agents use: every region's deployment list should serve it. */
export const SYSTEM_MODEL_ALIAS = "standard";
export const MAX_CUSTOM_AGENTS = 100;

const NOT_FOUND = "Agent";

function systemAgents(industry: string | null): ResolvedAgent[] {
  return presetAgents(industry).map((seed) => ({
    id: `sys_${seed.key}`,
    version: 1,
    source: "system",
    definition: {
      name: seed.name,
      description: seed.description,
      instructions: seed.instructions,
      model: { alias: SYSTEM_MODEL_ALIAS, temperature: seed.temperature, max_output_tokens: 1024 },
      tools: seed.tools,
      max_steps: seed.max_steps,
      output_schema: null,
    },
    createdAt: null,
    updatedAt: null,
  }));
}

/** Whether a call of this tool by this agent waits for approval. */
export function requiresApproval(agent: ResolvedAgent, toolName: string): boolean {
  const tool = toolNamed(toolName);
  const ref = agent.definition.tools.find((t) => t.name === toolName);
  return Boolean(tool?.alwaysRequiresApproval || ref?.requires_approval);
}

/** The API's view of an agent. */
export function agentView(agent: ResolvedAgent) {
  const d = agent.definition;
  return {
    id: agent.id,
    version: agent.version,
    source: agent.source,
    name: d.name,
    description: d.description,
    instructions: d.instructions,
    model: d.model,
    tools: d.tools.flatMap((ref) => {
      const tool = toolNamed(ref.name);
      return tool
        ? [
            {
              name: tool.name,
              description: tool.description,
              permission: tool.permission,
              requires_approval: requiresApproval(agent, tool.name),
              input_schema: inputSchemaOf(tool),
            },
          ]
        : [];
    }),
    max_steps: d.max_steps,
    output_schema: d.output_schema,
    created_at: agent.createdAt,
    updated_at: agent.updatedAt,
  };
}

interface AgentRow {
  id: string;
  version: number;
  definition: AgentDefinition;
  created_at: string;
  updated_at: string;
}

const toAgent = (row: AgentRow): ResolvedAgent => ({
  id: row.id,
  version: Number(row.version),
  source: "custom",
  definition: row.definition,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const AGENT_COLUMNS = sql`id, version, definition, ${utcIso(sql`created_at`)} as created_at, ${utcIso(sql`updated_at`)} as updated_at`;

/** The tenant's agents: its preset's system agents first, then its custom ones, newest first. */
export async function listAgents(ctx: ServiceContext): Promise<ResolvedAgent[]> {
  const tenantId = ctx.actor.tenantId;
  const [tenant = [], custom = []] = await tenantRows(ctx.db, tenantId, [
    sql`select industry from tenants where id = ${tenantId}`,
    sql`select ${AGENT_COLUMNS} from ai_agents where tenant_id = ${tenantId} and not is_deleted
        order by created_at desc, id desc limit ${MAX_CUSTOM_AGENTS}`,
  ]);
  const industry = (tenant[0] as { industry: string | null } | undefined)?.industry ?? null;
  return [...systemAgents(industry), ...(custom as AgentRow[]).map(toAgent)];
}

/**
 * One agent at its current version, or at `version` (what a session or run recorded). Another
 * tenant's id is 404, like a missing one.
 */
export async function getAgent(ctx: ServiceContext, id: string, version?: number): Promise<ResolvedAgent> {
  const tenantId = ctx.actor.tenantId;
  if (id.startsWith("sys_")) {
    const [tenant = []] = await tenantRows(ctx.db, tenantId, [
      sql`select industry from tenants where id = ${tenantId}`,
    ]);
    const industry = (tenant[0] as { industry: string | null } | undefined)?.industry ?? null;
    const agent = systemAgents(industry).find((a) => a.id === id);
    if (!agent) throw ApiError.notFound(NOT_FOUND);
    return agent;
  }
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    version === undefined
      ? sql`select ${AGENT_COLUMNS} from ai_agents where tenant_id = ${tenantId} and id = ${id} and not is_deleted`
      : sql`select v.agent_id as id, v.version, v.definition, ${utcIso(sql`a.created_at`)} as created_at,
              ${utcIso(sql`v.created_at`)} as updated_at
            from ai_agent_versions v join ai_agents a on a.id = v.agent_id
            where v.tenant_id = ${tenantId} and v.agent_id = ${id} and v.version = ${version}`,
  ]);
  const row = rows[0] as AgentRow | undefined;
  if (!row) throw ApiError.notFound(NOT_FOUND);
  return toAgent(row);
}

export async function createAgent(ctx: ServiceContext, input: AgentInput): Promise<ResolvedAgent> {
  const tenantId = ctx.actor.tenantId;
  const id = crypto.randomUUID();
  const definition: AgentDefinition = input;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`insert into ai_agents (id, tenant_id, version, definition, created_by)
        select ${id}, ${tenantId}, 1, ${JSON.stringify(definition)}::jsonb, ${ctx.actor.userId}
        where (select count(*) from ai_agents where tenant_id = ${tenantId} and not is_deleted) < ${MAX_CUSTOM_AGENTS}
        returning ${AGENT_COLUMNS}`,
    sql`insert into ai_agent_versions (tenant_id, agent_id, version, definition, created_by)
        select ${tenantId}, ${id}, 1, ${JSON.stringify(definition)}::jsonb, ${ctx.actor.userId}
        where exists (select 1 from ai_agents where id = ${id})`,
  ]);
  const row = rows[0] as AgentRow | undefined;
  if (!row) throw new ApiError("CONFLICT", `A tenant has at most ${MAX_CUSTOM_AGENTS} custom agents`);
  return toAgent(row);
}

function systemIsReadOnly(id: string): void {
  if (id.startsWith("sys_")) {
    throw new ApiError(
      "CONFLICT",
      "System agents come with the tenant's preset and cannot be changed; create a custom agent",
    );
  }
}

/** A change is a new version; the old one stays readable for the runs that used it. */
export async function updateAgent(
  ctx: ServiceContext,
  id: string,
  patch: AgentPatch,
): Promise<ResolvedAgent> {
  systemIsReadOnly(id);
  const current = await getAgent(ctx, id);
  const d = current.definition;
  const next: AgentDefinition = {
    name: patch.name ?? d.name,
    description: patch.description ?? d.description,
    instructions: patch.instructions ?? d.instructions,
    model: { ...d.model, ...patch.model },
    tools: patch.tools ?? d.tools,
    max_steps: patch.max_steps ?? d.max_steps,
    output_schema: patch.output_schema === undefined ? d.output_schema : patch.output_schema,
  };
  const tenantId = ctx.actor.tenantId;
  const version = current.version + 1;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    // Only from the version read: a concurrent change makes this one a 409, not a lost update.
    sql`update ai_agents set version = ${version}, definition = ${JSON.stringify(next)}::jsonb, updated_at = now()
        where tenant_id = ${tenantId} and id = ${id} and version = ${current.version} and not is_deleted
        returning ${AGENT_COLUMNS}`,
    sql`insert into ai_agent_versions (tenant_id, agent_id, version, definition, created_by)
        select ${tenantId}, ${id}, ${version}, ${JSON.stringify(next)}::jsonb, ${ctx.actor.userId}
        where exists (select 1 from ai_agents where id = ${id} and version = ${version})`,
  ]);
  const row = rows[0] as AgentRow | undefined;
  if (!row) throw new ApiError("CONFLICT", "The agent changed meanwhile; read it again and retry");
  return toAgent(row);
}

export async function deleteAgent(ctx: ServiceContext, id: string): Promise<void> {
  systemIsReadOnly(id);
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`update ai_agents set is_deleted = true, deleted_at = now(), updated_at = now()
        where tenant_id = ${tenantId} and id = ${id} and not is_deleted returning id`,
  ]);
  if (rows.length === 0) throw ApiError.notFound(NOT_FOUND);
}
