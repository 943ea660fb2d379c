import { and, eq, type SQL, sql } from "drizzle-orm";
import { withEvents } from "../../../db/outbox";
import { opportunities } from "../../../db/schema";
import { tenantBatch } from "../../../db/tenant-batch";
import { ApiError } from "../lib/errors";
import { amountText, type OpportunityInput, type OpportunityPatch } from "../schemas/opportunity";
import { assertLiveContact, type Page } from "./contacts";
import type { ServiceContext } from "./context";
import { crmSettings } from "./crm-settings";
import { assertOwner, crmEvent, writeWithEvent } from "./crm-writes";
import { keyedValues } from "./keyed-values";
import { readJsonById, readListPage } from "./keyset-list";
import { opportunityJson } from "./opportunity-json";
import { OPPORTUNITY_QUERIES } from "./opportunity-queries";
import { resolveStage } from "./pipeline";

/** An opportunity's API representation as JSON text (see opportunity-json.ts). */
export type OpportunityJson = string;

/** The amount as numeric(12,2) text; the schema has already refused anything else. */
export function amountColumn(amount: string | number | null | undefined): string | null | undefined {
  if (amount === undefined || amount === null) return amount;
  const text = amountText(amount);
  if (text === undefined) throw new Error("an amount the schema should have refused");
  return text;
}

/**
 * The status a stage gives, and when the deal closed, read from the tenant's pipeline in the
 * statement itself: the stage's terminal flag decides, not the client and not a cached copy.
 */
export function stageTerminal(tenantId: string, stageKey: string): SQL {
  return sql`(select terminal from pipeline_stages where tenant_id = ${tenantId} and stage_key = ${stageKey})`;
}

export interface OpportunityFilters {
  stage?: string | undefined;
  status?: string | undefined;
  ownerId?: string | undefined;
  contactId?: string | undefined;
  updatedSince?: string | undefined;
}

export function listOpportunities(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined; includeTotal: boolean; filters: OpportunityFilters },
): Promise<Page<OpportunityJson>> {
  return readListPage(ctx, OPPORTUNITY_QUERIES, { ...query, filters: { ...query.filters } });
}

export function getOpportunity(ctx: ServiceContext, id: string): Promise<OpportunityJson> {
  return readJsonById(ctx, OPPORTUNITY_QUERIES.byId, id, "Opportunity");
}

/** Opens an opportunity, in the first open stage unless one is given. Emits `opportunity.created`. */
export async function createOpportunity(
  ctx: ServiceContext,
  input: OpportunityInput,
): Promise<{ id: string; json: OpportunityJson }> {
  const tenantId = ctx.actor.tenantId;
  const settings = await crmSettings(ctx);
  const stage = resolveStage(settings, input.stage, "stage");
  if (input.contact_id) await assertLiveContact(ctx, input.contact_id, "contact_id");
  await assertOwner(ctx, input.owner_id);
  const id = crypto.randomUUID();
  const terminal = stageTerminal(tenantId, stage.key);
  const insert = ctx.db
    .insert(opportunities)
    .values({
      id,
      tenantId,
      name: input.name,
      contactId: input.contact_id ?? null,
      ownerId: input.owner_id ?? null,
      stageKey: stage.key,
      status: sql`coalesce(${terminal}, 'open')`,
      closedAt: sql`case when ${terminal} is null then null else now() end`,
      amount: amountColumn(input.amount) ?? null,
      currency: input.currency ?? settings.defaultCurrency,
      expectedCloseDate: input.expected_close_date ?? null,
      customFields: input.custom_fields ?? {},
    })
    .returning();
  const json = await writeWithEvent(ctx, insert, "opportunity.created", opportunityJson("changed"));
  if (!json) throw new Error("insert returned no row");
  return { id, json };
}

/**
 * Changes the fields given. A new stage must be in the tenant's pipeline; it sets the status
 * (open, or the won/lost of a terminal stage) and `closed_at` (when it entered won or lost;
 * cleared when it reopens). Emits `opportunity.updated`; a stage move also
 * `opportunity.stage_changed` (`data`: `from`, `to`, `opportunity`), and entering the won or
 * lost stage `opportunity.won` or `opportunity.lost`.
 */
export async function updateOpportunity(
  ctx: ServiceContext,
  id: string,
  patch: OpportunityPatch,
): Promise<OpportunityJson> {
  const tenantId = ctx.actor.tenantId;
  if (patch.stage !== undefined) resolveStage(await crmSettings(ctx), patch.stage, "stage");
  if (patch.contact_id) await assertLiveContact(ctx, patch.contact_id, "contact_id");
  await assertOwner(ctx, patch.owner_id);
  const assignments = keyedValues({
    name: patch.name,
    contact_id: patch.contact_id === undefined ? undefined : sql`${patch.contact_id}::uuid`,
    owner_id: patch.owner_id === undefined ? undefined : sql`${patch.owner_id}::uuid`,
    amount: patch.amount === undefined ? undefined : sql`${amountColumn(patch.amount)}::numeric`,
    currency: patch.currency,
    expected_close_date:
      patch.expected_close_date === undefined ? undefined : sql`${patch.expected_close_date}::date`,
    custom_fields:
      patch.custom_fields === undefined ? undefined : sql`${JSON.stringify(patch.custom_fields)}::jsonb`,
  }).map(([column, value]) => sql`${sql.identifier(column)} = ${value}`);
  // `prior` locks the row and holds the stage it leaves; the stage joined is the one it enters
  // (the same when no stage is given), so an unknown stage matches nothing.
  const change = sql`
    update opportunities o set ${sql.join([...assignments, sql``], sql`, `)}
      stage_key = s.stage_key,
      status = coalesce(s.terminal, 'open'),
      closed_at = case
        when coalesce(s.terminal, 'open') = prior.status then o.closed_at
        when s.terminal is null then null
        else now() end,
      updated_at = now()
    from (
      select id, stage_key, status from opportunities
      where id = ${id} and tenant_id = ${tenantId} and not is_deleted
      for update
    ) prior, pipeline_stages s
    where o.id = prior.id and s.tenant_id = ${tenantId}
      and s.stage_key = coalesce(${patch.stage ?? null}::text, prior.stage_key)
    returning o.*, prior.stage_key as from_stage, prior.status as from_status`;
  const json = opportunityJson("changed");
  const statement = withEvents(
    change,
    [
      { event: crmEvent(ctx, "opportunity.updated"), data: json },
      {
        event: crmEvent(ctx, "opportunity.stage_changed"),
        data: sql`json_build_object('from', changed.from_stage, 'to', changed.stage_key, 'opportunity', ${json})`,
        when: sql`changed.from_stage <> changed.stage_key`,
      },
      ...(["won", "lost"] as const).map((end) => ({
        event: crmEvent(ctx, `opportunity.${end}`),
        data: json,
        when: sql`changed.status = ${end} and changed.from_status <> ${end}`,
      })),
    ],
    sql`${json}::text as json`,
  );
  const [result] = await tenantBatch(ctx.db, tenantId, [ctx.db.execute(statement)]);
  const row = result.rows[0] as { json: string } | undefined;
  if (!row) throw ApiError.notFound("Opportunity");
  return row.json;
}

export async function deleteOpportunity(ctx: ServiceContext, id: string): Promise<void> {
  const update = ctx.db
    .update(opportunities)
    .set({ isDeleted: true, deletedAt: sql`now()`, updatedAt: sql`now()` })
    .where(
      and(
        eq(opportunities.tenantId, ctx.actor.tenantId),
        eq(opportunities.isDeleted, false),
        eq(opportunities.id, id),
      ),
    )
    .returning();
  if (!(await writeWithEvent(ctx, update, "opportunity.deleted", opportunityJson("changed")))) {
    throw ApiError.notFound("Opportunity");
  }
}
