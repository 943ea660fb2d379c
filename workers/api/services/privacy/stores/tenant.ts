import { sql } from "drizzle-orm";
import { deleteTenantRows, isTenant, outcomeOf, privileged, tenantSelect } from "../store-sql";
import type { PersonalDataStore } from "../types";

/**
 * The tenant's own configuration: settings, roles, OAuth clients, SSO connections and domains,
 * agents, custom field definitions, pipeline, MFA policy, the privacy archives and holds it
 * owns. Only a tenant's erasure touches it; the request rows themselves stay as the record that
 * the erasure happened (ids and counts only).
 */
export const tenantConfigStore: PersonalDataStore = {
  name: "tenant.configuration",
  where: "postgres",
  description:
    "The tenant's settings, roles, clients, SSO, agents, field definitions, pipeline and privacy archives.",
  columns: {
    sso_connections: ["name", "claims", "group_roles", "domains"],
    privacy_export_files: ["body"],
    ai_agents: ["definition"],
    ai_agent_versions: ["definition"],
  },
  subjects: ["tenant"],
  export: (ctx) =>
    isTenant(ctx)
      ? tenantSelect(
          ctx,
          sql`select 'role' as type, to_jsonb(r) as row from roles r where tenant_id = ${ctx.tenantId}
              union all select 'custom_field', to_jsonb(f) from custom_field_definitions f where tenant_id = ${ctx.tenantId}
              union all select 'pipeline_stage', to_jsonb(p) from pipeline_stages p where tenant_id = ${ctx.tenantId}
              union all select 'agent', to_jsonb(a) from ai_agents a where tenant_id = ${ctx.tenantId}`,
        )
      : Promise.resolve([]),
  async erase(ctx) {
    if (!isTenant(ctx)) return { action: "none", rows: 0 };
    return outcomeOf(
      await deleteTenantRows(ctx, [
        "ai_agent_versions",
        "ai_agents",
        "custom_field_definitions",
        "pipeline_stages",
        "roles",
        "oauth_clients",
        "sso_domains",
        "sso_connections",
        "tenant_mfa_policies",
        "revoked_access_tokens",
        "privacy_legal_holds",
        "privacy_export_files",
        "usage_counters",
        // Destroyed already by privacy.subject_keys; a tenant gone needs no record of each shred.
        "subject_keys",
      ]),
    );
  },
};

/** The tenant row (name, slug, settings): the last step of its erasure. */
export const tenantStore: PersonalDataStore = {
  name: "tenant.tenant",
  where: "postgres",
  description: "The tenant: business name, slug, settings.",
  columns: { tenants: ["name", "slug", "settings"] },
  subjects: ["tenant"],
  export: (ctx) =>
    isTenant(ctx)
      ? tenantSelect(ctx, sql`select * from tenants where id = ${ctx.tenantId}`)
      : Promise.resolve([]),
  async erase(ctx) {
    if (!isTenant(ctx)) return { action: "none", rows: 0 };
    // The usage meter adds the tenant's own requests (reading this job's progress, say) to
    // usage_counters after tenant.configuration emptied it: its rows go again, in the same
    // transaction as the tenant row, or their foreign key stops the delete on every retry.
    const [, deleted = 0] = await privileged(ctx, [
      sql`with changed as (delete from usage_counters where tenant_id = ${ctx.tenantId} returning 1)
          select count(*)::int as n from changed`,
      sql`select privacy_delete_tenant(${ctx.requestId}::uuid) as n`,
    ]);
    return outcomeOf([deleted]);
  },
};
