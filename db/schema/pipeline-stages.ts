import { sql } from "drizzle-orm";
import { check, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { id, tenantId, tenantIsolation, timestamps } from "./columns";
import { tenants } from "./tenants";

export const STAGE_TERMINALS = ["won", "lost"] as const;
export type StageTerminal = (typeof STAGE_TERMINALS)[number];

/**
 * A tenant's opportunity pipeline, copied from its industry preset at activation (db/preset-objects.ts)
 * so the tenant can later change it without touching the preset. `stage_key` is the preset's
 * kebab-case stage id, the value opportunities carry; `terminal` marks the won and lost stages.
 */
export const pipelineStages = pgTable(
  "pipeline_stages",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    stageKey: text("stage_key").notNull(),
    name: text("name").notNull(),
    probability: integer("probability").notNull(),
    terminal: text("terminal", { enum: STAGE_TERMINALS }),
    position: integer("position").notNull(),
    ...timestamps,
  },
  (t) => [
    // Leads with tenant_id: also the index every tenant table has.
    uniqueIndex("pipeline_stages_tenant_stage_key").on(t.tenantId, t.stageKey),
    check("pipeline_stages_terminal", sql`${t.terminal} is null or ${t.terminal} in ('won', 'lost')`),
    check("pipeline_stages_probability", sql`${t.probability} between 0 and 100`),
    tenantIsolation(),
  ],
).enableRLS();

export type PipelineStage = typeof pipelineStages.$inferSelect;
