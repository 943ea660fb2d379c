import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { actorMay } from "../auth/permissions";
import { ApiError } from "../lib/errors";
import { deferOf, serviceContext, serviceDatabase } from "../lib/service-context";
import type { RunDeps } from "../services/ai/runs";
import { lookupTenant } from "../services/tenant-directory";

export const AI_TAG = {
  name: "ai",
  description:
    "AI agents over the tenant's own data. System agents come with the tenant's industry preset; custom agents are " +
    "versioned (every run and message records the version it used). Tools run the platform's services as the caller: " +
    "the caller's role, scopes and tenant apply, so a Viewer's agent only reads and no tool reaches another tenant. " +
    "Models are named by alias and resolved per region to an allowed deployment (EU prompts to EU-processed " +
    "deployments, Lagos prompts only to the Lagos cluster's gateway); with none the call is 503, never a fallback, and " +
    "`x-inference-region` says where a response was computed. Chat streams server-sent events (format v1, see " +
    "POST /api/v1/agents/chat), every event stored in the home region's Postgres for resume with `Last-Event-ID`. " +
    "Token budgets per tenant per UTC day by tier (429 + `Retry-After`), and a per-user limit on concurrent streams.",
};

export const AI_SECURITY: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];

/** The caller's tenant's daily token budget (by tier) and tier. */
export async function budgetOf(c: Context<AppEnv>): Promise<{ tier: string; budget: number }> {
  const config = c.get("config");
  const actor = c.get("actor");
  if (!actor) throw ApiError.unauthenticated("Authentication required", "invalid_request");
  const entry = await lookupTenant(config, () => serviceDatabase(c), actor.tenantId, deferOf(c));
  const tier = entry?.tier ?? "starter";
  return { tier, budget: config.ai.dailyTokenBudgets[tier] };
}

export async function runDepsOf(c: Context<AppEnv>): Promise<RunDeps> {
  const { budget } = await budgetOf(c);
  return { ctx: serviceContext(c), config: c.get("config"), budget };
}

/** Keeps the isolate alive for work that outlives the response. */
export function keepAlive(c: Context<AppEnv>, work: Promise<unknown>): void {
  const defer = deferOf(c);
  if (defer) defer(work.then(() => undefined));
}

/** Whether the caller reads every user's sessions and runs (Owner, Admin). */
export const readsAll = (c: Context<AppEnv>) => {
  const actor = c.get("actor");
  return Boolean(actor && actorMay(actor, "ai.sessions.read_all"));
};
