import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { withEvent } from "../../../db/outbox";
import { presetObjectStatements } from "../../../db/preset-objects";
import { PRESETS, type Preset } from "../../../db/presets";
import { tenantRows, textArray } from "../../../db/rows";
import { SYSTEM_ROLES } from "../../../db/schema/memberships";
import { REGIONS, type RegionId } from "../../../regions/registry";
import type { Config } from "../env";
import { defaultSinks } from "../events/default-sinks";
import { publishPending } from "../events/publisher";
import { logError } from "../lib/log-error";
import { sha256Hex } from "../oauth/encoding";
import { SUPPORTED_SCOPES } from "../oauth/scopes";
import { type DirectoryEntry, invalidateTenant, publishTenant } from "../services/tenant-directory";

/**
 * The steps of an activation, in order. Each is one atomic batch in the home region's database
 * and safe to repeat: the ids of everything it creates were chosen when the activation was
 * accepted (activations row), inserts skip rows that exist, and updates only move a row out of
 * the state they expect. So a step that committed but was not recorded as done (the object
 * crashed in between) runs again and changes nothing.
 */

/** The activations row, minus the personal fields (which never leave Postgres: see owner step). */
export interface ActivationRecord {
  id: string;
  tenantId: string;
  ownerId: string;
  businessName: string;
  slug: string;
  country: string;
  presetId: string;
  currency: string;
  options: { redirect_uris?: string[] };
  state: "running" | "completed" | "failed";
}

export interface StepContext {
  env: Env;
  db: Database;
  config: Config;
  region: RegionId;
  activation: ActivationRecord;
  preset: Preset;
}

export const STEP_NAMES = [
  "tenant",
  "owner_and_roles",
  "preset_objects",
  "oauth_client",
  "directory_entry",
  "welcome_event",
] as const;
export type StepName = (typeof STEP_NAMES)[number];

interface Step {
  description: string;
  /** What a unique violation in this step means to the person signing up (never retried). */
  conflict: string;
  run(ctx: StepContext): Promise<void>;
}

const DEFAULT_REDIRECT_URIS = ["http://127.0.0.1/callback"];

function batch(ctx: Pick<StepContext, "db" | "activation">, queries: SQL[]) {
  return tenantRows(ctx.db, ctx.activation.tenantId, queries);
}

/** The tenant's own OAuth client: public (PKCE), named after the business. */
export async function tenantClientId(region: RegionId, activationId: string): Promise<string> {
  // Derived, not the activation id itself: a client id is public, the activation id reads status.
  const hex = await sha256Hex(`oauth-client:${activationId}`);
  return `nxc_${REGIONS[region].keyCode}_${hex.slice(0, 24)}`;
}

export const STEPS: Readonly<Record<StepName, Step>> = {
  tenant: {
    description: "Create the tenant in its home region (status provisioning)",
    conflict: "A business with this slug exists in the region; choose options.slug",
    async run(ctx) {
      const { activation: a, preset } = ctx;
      const settings = {
        preset: preset.id,
        payment_providers: preset.regions[ctx.region].paymentProviders,
        realtime_rooms: preset.realtimeRooms,
        webhook_event_types: preset.webhookEventTypes,
      };
      await batch(ctx, [
        sql`insert into tenants (id, name, slug, region, country, tier, status, industry, default_currency, settings)
            values (${a.tenantId}, ${a.businessName}, ${a.slug}, ${ctx.region}, ${a.country}, ${preset.rateLimitTier},
                    'provisioning', ${preset.id}, ${a.currency}, ${JSON.stringify(settings)}::jsonb)
            on conflict (id) do nothing`,
      ]);
    },
  },

  owner_and_roles: {
    description: "Create the owner's account, the six system roles and the preset's roles",
    conflict: "An account with this email address exists in the region; sign in instead",
    async run(ctx) {
      const { activation: a, preset } = ctx;
      const t = a.tenantId;
      const roles = [
        ...SYSTEM_ROLES.map((name) => ({
          name,
          description: null,
          permissions: [] as string[],
          system: true,
        })),
        ...preset.roles.map((r) => ({ ...r, system: false })),
      ];
      await batch(ctx, [
        // Copied inside Postgres: the owner's email, name and password hash never reach the Worker.
        sql`insert into users (id, email, name, password_hash)
            select owner_id, owner_email, owner_name, password_hash from activations
            where id = ${a.id} and password_hash is not null
            on conflict (id) do nothing`,
        ...roles.map(
          (r) =>
            sql`insert into roles (tenant_id, name, description, permissions, is_system)
                values (${t}, ${r.name}, ${r.description}, ${textArray(r.permissions)}, ${r.system})
                on conflict (tenant_id, name) where not is_deleted do nothing`,
        ),
        sql`insert into memberships (tenant_id, user_id, role_id)
            select ${t}, ${a.ownerId}, r.id from roles r
            where r.tenant_id = ${t} and r.name = 'Owner' and not r.is_deleted
            on conflict (tenant_id, user_id) where not is_deleted do nothing`,
      ]);
    },
  },

  preset_objects: {
    description: "Copy the preset's pipeline stages and custom fields into the tenant",
    conflict: "The preset's objects conflict with existing ones",
    async run(ctx) {
      const statements = presetObjectStatements(ctx.db, ctx.activation.tenantId, ctx.preset);
      await ctx.db.batch([
        ctx.db.execute(sql`select set_config('app.tenant_id', ${ctx.activation.tenantId}, true)`),
        ...statements,
      ]);
    },
  },

  oauth_client: {
    description: "Register the tenant's own OAuth client (public, PKCE)",
    conflict: "The tenant's OAuth client exists already",
    async run(ctx) {
      const { activation: a } = ctx;
      const redirectUris = a.options.redirect_uris?.length ? a.options.redirect_uris : DEFAULT_REDIRECT_URIS;
      // The row's id is the activation's: one client per activation, whatever the retries.
      await batch(ctx, [
        sql`insert into oauth_clients (id, client_id, tenant_id, name, client_type, redirect_uris, grant_types, scopes)
            values (${a.id}, ${await tenantClientId(ctx.region, a.id)}, ${a.tenantId}, ${`${a.businessName} app`}, 'public',
                    ${textArray(redirectUris)}, ${textArray(["authorization_code", "refresh_token"])},
                    ${textArray(SUPPORTED_SCOPES)})
            on conflict (id) do nothing`,
      ]);
    },
  },

  directory_entry: {
    description: "Open the tenant (status active) and publish it to the edge directory",
    conflict: "The tenant changed while it was being activated",
    async run(ctx) {
      const t = ctx.activation.tenantId;
      const [, rows = []] = await batch(ctx, [
        sql`update tenants set status = 'active', updated_at = now() where id = ${t} and status = 'provisioning'`,
        sql`select id, region, tier, status, rate_limits from tenants where id = ${t}`,
      ]);
      const row = rows[0] as
        | { id: string; region: RegionId; tier: DirectoryEntry["tier"]; status: DirectoryEntry["status"] }
        | undefined;
      if (!row) throw new Error("The tenant row is missing after its own step");
      // Any cached "no such tenant" answer (a client that guessed the id early) is replaced.
      await publishTenant(ctx.config, {
        tenantId: row.id,
        region: row.region,
        tier: row.tier,
        status: row.status,
        rateLimits: {},
      });
    },
  },

  welcome_event: {
    description: "Emit tenant.activated and clear the sign-up's personal fields",
    conflict: "The activation finished already",
    async run(ctx) {
      const { activation: a, preset } = ctx;
      // The event rides on the state change: a repeat finds the row completed and emits nothing.
      await batch(ctx, [
        withEvent(
          sql`update activations set state = 'completed', finished_at = now(),
                     owner_email = null, owner_name = null, password_hash = null
              where id = ${a.id} and state = 'running' returning *`,
          {
            eventId: a.id,
            eventType: "tenant.activated",
            source: "nexus-service",
            actorId: a.ownerId,
            correlationId: a.id,
          },
          sql`jsonb_build_object('tenant_id', changed.tenant_id, 'name', changed.business_name,
                'slug', changed.slug, 'region', ${ctx.region}::text, 'country', changed.country,
                'preset', ${preset.id}::text, 'owner_id', changed.owner_id)`,
          sql`changed.id`,
        ),
      ]);
      // Published now rather than at the next sweep; if this fails, the sweep still will.
      await publishPending(ctx.db, defaultSinks(ctx.env, ctx.config), {
        tenantId: a.tenantId,
        limit: 10,
      }).catch((error: unknown) =>
        logError("publishing tenant.activated failed; the scheduled sweep will", undefined, error),
      );
    },
  },
};

/** The activation's row (personal fields left in Postgres), or undefined when there is none. */
export async function loadActivation(
  db: Database,
  tenantId: string,
  id: string,
): Promise<{ activation: ActivationRecord; preset: Preset } | undefined> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select id, tenant_id, owner_id, business_name, slug, country, preset_id, currency, options, state
        from activations where id = ${id}`,
  ]);
  const r = rows[0] as Record<string, unknown> | undefined;
  if (!r) return undefined;
  const preset = PRESETS.find((p) => p.id === r.preset_id);
  if (!preset) throw new Error(`Activation ${id} names an unknown preset`);
  return {
    activation: {
      id: r.id as string,
      tenantId: r.tenant_id as string,
      ownerId: r.owner_id as string,
      businessName: r.business_name as string,
      slug: r.slug as string,
      country: r.country as string,
      presetId: r.preset_id as string,
      currency: r.currency as string,
      options: (r.options ?? {}) as ActivationRecord["options"],
      state: r.state as ActivationRecord["state"],
    },
    preset,
  };
}

/**
 * A run that cannot finish takes back what it made, so the business and the owner can sign up
 * again: the tenant and the owner's account (both this run's: their ids were new when it was
 * accepted, and nothing else knew them before the run finished) are soft-deleted,
 * which frees the slug and the email, and the row is marked failed with its personal fields
 * cleared. Idempotent like the steps.
 */
export async function abandonActivation(ctx: Omit<StepContext, "preset" | "env">): Promise<void> {
  const { activation: a } = ctx;
  await batch(ctx, [
    sql`update tenants set status = 'suspended', is_deleted = true, deleted_at = now(), updated_at = now()
        where id = ${a.tenantId} and not is_deleted`,
    sql`update users set is_deleted = true, deleted_at = now(), updated_at = now()
        where id = ${a.ownerId} and not is_deleted`,
    sql`update activations set state = 'failed', finished_at = now(),
               owner_email = null, owner_name = null, password_hash = null
        where id = ${a.id} and state = 'running'`,
  ]);
  await invalidateTenant(ctx.config, a.tenantId);
}
