import { sql } from "drizzle-orm";
import { placedStub } from "../../../../../durable-objects/placement";
import { tenantHub } from "../../../../../durable-objects/tenant-hub-client";
import { webhookDispatcher } from "../../../../../durable-objects/webhook-dispatcher-client";
import { tryUpstash } from "../../../lib/upstash";
import { limiterName } from "../../../limits/request-limits";
import { isTenant, tenantSelect } from "../store-sql";
import type { PersonalDataStore, StoreContext } from "../types";

const placementOf = (ctx: StoreContext) => ({ region: ctx.region, localRuntime: ctx.config.localRuntime });

/**
 * Durable Object storage. By design it holds ids, counters and in-flight state, never names or
 * text (DESIGN.md), but those ids still tie a person to the tenant: a member's realtime
 * connections and room presence (TenantHub), their rate-limit counters (RateLimiter). A tenant's
 * erasure empties every object of the tenant: its hub, its limiter, each endpoint's dispatcher
 * and each sign-up run. Runs first: it reads the endpoint and activation ids the later steps
 * delete.
 */
export const durableObjectsStore: PersonalDataStore = {
  name: "edge.durable_objects",
  where: "durable_objects",
  description:
    "Durable Object storage: realtime connections and presence, rate-limit counters, webhook queues, sign-up runs.",
  columns: {},
  subjects: ["user", "tenant"],
  async erase(ctx) {
    const env = ctx.env;
    const placement = placementOf(ctx);
    const t = ctx.tenantId;
    if (!isTenant(ctx)) {
      if (ctx.profile.subject.type !== "user") return { action: "none", rows: 0 };
      const user = ctx.profile.subject.id;
      const closed = env.TENANT_HUB ? await tenantHub(env.TENANT_HUB, placement, t).forgetUser(user) : 0;
      if (env.RATE_LIMITER)
        await placedStub(env.RATE_LIMITER, ctx.region, limiterName(t), placement).forget(user);
      return {
        action: "deleted",
        rows: closed,
        reason: "Realtime connections closed, counters of the user dropped",
      };
    }
    let objects = 0;
    if (env.TENANT_HUB) {
      await tenantHub(env.TENANT_HUB, placement, t).forgetTenant();
      objects++;
    }
    if (env.RATE_LIMITER) {
      await placedStub(env.RATE_LIMITER, ctx.region, limiterName(t), placement).forget();
      objects++;
    }
    const [endpoints, activations] = await Promise.all([
      tenantSelect<{ id: string }>(ctx, sql`select id::text from webhook_endpoints where tenant_id = ${t}`),
      tenantSelect<{ id: string }>(ctx, sql`select id::text from activations where tenant_id = ${t}`),
    ]);
    if (env.WEBHOOK_DISPATCHER) {
      for (const e of endpoints) await webhookDispatcher(env.WEBHOOK_DISPATCHER, placement, e.id).forget();
      objects += endpoints.length;
    }
    if (env.ACTIVATION_RUN) {
      for (const a of activations) {
        await placedStub(env.ACTIVATION_RUN, ctx.region, `activation:${a.id}`, placement).forget();
      }
      objects += activations.length;
    }
    return { action: "deleted", rows: objects, reason: "Storage of every object of the tenant emptied" };
  },
};

/**
 * Upstash (global) holds the tenant's directory entry (id → region, tier, status) and the
 * verification cache of its API keys (by key hash). Revoked token ids age out by themselves
 * and name no one. A tenant's erasure deletes both kinds; keys are read before identity deletes
 * them.
 */
export const upstashStore: PersonalDataStore = {
  name: "edge.upstash",
  where: "upstash",
  description: "Upstash Redis: the tenant's directory entry and its API keys' verification cache.",
  columns: { api_keys: ["key_hash", "hint", "name"] },
  subjects: ["tenant"],
  async erase(ctx) {
    if (!isTenant(ctx)) return { action: "none", rows: 0 };
    const keys = await tenantSelect<{ key_hash: string }>(
      ctx,
      sql`select key_hash from api_keys where tenant_id = ${ctx.tenantId}`,
    );
    const deleted = await tryUpstash(ctx.config, (store) =>
      store.redis.del(store.key("tenant", ctx.tenantId), ...keys.map((k) => store.key("apikey", k.key_hash))),
    );
    if (!ctx.config.upstash)
      return { action: "none", rows: 0, reason: "Upstash is not configured in this region" };
    // Unreachable Upstash fails the step: it is retried, since an entry left behind outlives the tenant.
    if (!deleted.ok) throw new Error("Upstash unavailable");
    return { action: "purged", rows: Number(deleted.value) };
  },
};
