import { sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import type { CompletionUsage } from "./model-port";
import type { ResolvedModel } from "./model-routing";

/** Seconds until the next UTC midnight, when a day's budget starts again. */
export function secondsToNextUtcDay(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

async function usedToday(ctx: ServiceContext): Promise<number> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select coalesce(sum(input_tokens + output_tokens), 0)::bigint as used from ai_usage
        where tenant_id = ${tenantId} and day = (now() at time zone 'UTC')::date`,
  ]);
  return Number((rows[0] as { used: string | number } | undefined)?.used ?? 0);
}

/**
 * Checked before every model call of a chat turn or run: a tenant whose day's tokens are spent
 * gets 429 with Retry-After (the next UTC midnight). A call in flight when the budget runs out
 * finishes; its tokens count against the day.
 */
export async function assertBudget(ctx: ServiceContext, budget: number): Promise<void> {
  const used = await usedToday(ctx);
  if (used >= budget) {
    throw new ApiError(
      "RATE_LIMITED",
      `The tenant's AI budget for today is spent (${used} of ${budget} tokens); it renews at 00:00 UTC`,
      { headers: { "Retry-After": String(secondsToNextUtcDay()) } },
    );
  }
}

export interface UsageRecord {
  agentId: string;
  sessionId?: string | undefined;
  runId?: string | undefined;
  resolved: ResolvedModel;
  usage: CompletionUsage;
  outcome: "completed" | "aborted" | "failed";
}

/** One model call in the ledger, whatever its outcome (a cancelled call's tokens were spent too). */
export async function recordUsage(ctx: ServiceContext, record: UsageRecord): Promise<void> {
  const tenantId = ctx.actor.tenantId;
  await tenantRows(ctx.db, tenantId, [
    sql`insert into ai_usage (tenant_id, user_id, agent_id, session_id, run_id, model, deployment, inference_region,
          input_tokens, output_tokens, estimated, outcome)
        values (${tenantId}, ${ctx.actor.userId}, ${record.agentId}, ${record.sessionId ?? null}, ${record.runId ?? null},
          ${record.resolved.model}, ${record.resolved.deployment}, ${record.resolved.inferenceRegion},
          ${record.usage.inputTokens}, ${record.usage.outputTokens}, ${record.usage.estimated}, ${record.outcome})`,
  ]);
}

/** GET /api/v1/ai/usage: today's budget and the last `days` days of the ledger. */
export async function usageSummary(ctx: ServiceContext, tier: string, budget: number, days: number) {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select to_char(day, 'YYYY-MM-DD') as day, sum(input_tokens)::bigint as input_tokens,
          sum(output_tokens)::bigint as output_tokens, count(*)::int as calls,
          count(*) filter (where estimated)::int as estimated_calls
        from ai_usage
        where tenant_id = ${tenantId} and day > (now() at time zone 'UTC')::date - ${days}::int
        group by day order by day desc`,
  ]);
  const byDay = (rows as Record<string, string | number>[]).map((r) => ({
    day: String(r.day),
    input_tokens: Number(r.input_tokens),
    output_tokens: Number(r.output_tokens),
    calls: Number(r.calls),
    estimated_calls: Number(r.estimated_calls),
  }));
  const today = new Date().toISOString().slice(0, 10);
  const todays = byDay.find((d) => d.day === today);
  const used = todays ? todays.input_tokens + todays.output_tokens : 0;
  return {
    day: today,
    tier,
    budget_tokens: budget,
    used_tokens: used,
    remaining_tokens: Math.max(0, budget - used),
    by_day: byDay,
  };
}
