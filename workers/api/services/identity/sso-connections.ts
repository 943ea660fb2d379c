import { sql } from "drizzle-orm";
import { tenantRows, utcIso } from "../../../../db/rows";
import { sealSecret } from "../../auth/credentials/secret-box";
import { mayGrant } from "../../auth/role-ceiling";
import { requireDataKey } from "../../lib/data-key";
import { ApiError } from "../../lib/errors";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import { randomToken, sha256Hex } from "../../oauth/encoding";
import { issuerProblem } from "../../sso/issuer-rules";
import {
  registerSamlConnection,
  removeSamlConnection,
  type SamlBridge,
  type SamlIdpSettings,
  type SamlRegistration,
} from "../../sso/saml-bridge";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import { auditedChange, byActor } from "./audited-change";
import type { RequestInfo } from "./request-info";
import { findRole, holderOf } from "./role-records";

export const MAX_SSO_CONNECTIONS_PER_TENANT = 10;
export const SSO_CALLBACK_PATH = "/oauth/sso/callback";
export const SCIM_TOKEN_PREFIX = "nxscim_";

export interface SsoConnectionDeps {
  dataKey: string | undefined;
  /** This region's public base URL: the redirect URI and SCIM base URL point there. */
  regionUrl: string;
  /** http issuers on loopback (the local IdP): development and tests only. */
  allowLoopbackHttp: boolean;
  /** The region's SAML bridge; SAML connections are refused (503) without one. */
  samlBridge: SamlBridge | undefined;
}

/** What the bridge's issuers offer; a SAML connection always asks for all of it. */
const SAML_SCOPES = ["openid", "email", "profile", "groups"];

export interface ClaimNames {
  email: string;
  name: string;
  groups: string;
}

interface CommonInput {
  name: string;
  domains: string[];
  claims: ClaimNames;
  group_roles: { group: string; role: string }[];
  default_role: string;
  jit: boolean;
  enabled: boolean;
}

export interface OidcConnectionInput extends CommonInput {
  protocol: "oidc";
  issuer: string;
  client_id: string;
  client_secret?: string | undefined;
  scopes: string[];
}

export interface SamlConnectionInput extends CommonInput {
  protocol: "saml";
  saml: SamlIdpSettings;
}

export type SsoConnectionInput = OidcConnectionInput | SamlConnectionInput;

export type SsoConnectionPatch = Partial<CommonInput> & {
  client_id?: string | undefined;
  client_secret?: string | null | undefined;
  scopes?: string[] | undefined;
  saml?: SamlIdpSettings | undefined;
};

/** The SAML side a connection shows (display only: the bridge holds the certificates). */
interface SamlView {
  idp_entity_id: string;
  idp_sso_url: string;
  sp_entity_id: string;
  acs_url: string;
  metadata_url: string;
}

interface ConnectionRow {
  id: string;
  name: string;
  protocol: "oidc" | "saml";
  saml: SamlView | null;
  issuer: string;
  client_id: string;
  has_client_secret: boolean;
  scopes: string[];
  domains: string[];
  claims: Partial<ClaimNames>;
  group_roles: { group: string; role: string }[];
  default_role: string;
  jit: boolean;
  enabled: boolean;
  has_scim_token: boolean;
  scim_token_created_at: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = sql`id, name, protocol, saml, issuer, client_id, client_secret_sealed is not null as has_client_secret, scopes, domains,
  claims, group_roles, default_role, jit, enabled, scim_token_hash is not null as has_scim_token,
  ${utcIso(sql`scim_token_created_at`)} as scim_token_created_at,
  ${utcIso(sql`created_at`)} as created_at, ${utcIso(sql`updated_at`)} as updated_at`;

export const claimNames = (claims: Partial<ClaimNames>): ClaimNames => ({
  email: claims.email ?? "email",
  name: claims.name ?? "name",
  groups: claims.groups ?? "groups",
});

/** One base for every connection: the bearer token says which connection (and tenant) a call is for. */
export const scimBaseUrl = (regionUrl: string) => `${regionUrl.replace(/\/+$/, "")}/scim/v2`;

const callbackUrl = (regionUrl: string) => `${regionUrl.replace(/\/+$/, "")}${SSO_CALLBACK_PATH}`;

function view(row: ConnectionRow, deps: SsoConnectionDeps) {
  const { has_scim_token, scim_token_created_at, ...rest } = row;
  return {
    ...rest,
    saml: row.saml ?? null,
    claims: claimNames(row.claims),
    redirect_uri: callbackUrl(deps.regionUrl),
    scim: {
      base_url: scimBaseUrl(deps.regionUrl),
      has_token: has_scim_token,
      token_created_at: scim_token_created_at,
    },
  };
}
export type SsoConnectionView = ReturnType<typeof view>;

/** Roles a connection hands out: this tenant's, never Owner, and none above the actor's own. */
async function checkRoles(ctx: ServiceContext, defaultRole: string, groupRoles: { role: string }[]) {
  const wanted = [
    { field: "default_role", name: defaultRole },
    ...groupRoles.map((g, i) => ({ field: `group_roles.${i}.role`, name: g.role })),
  ];
  for (const { field, name } of wanted) {
    const role = await findRole(ctx, sql`r.name = ${name}`);
    if (!role) throw ApiError.validation([{ field, message: "No role of that name in this tenant" }]);
    if (role.is_system && role.name === "Owner") {
      throw ApiError.validation([{ field, message: "Owner is never given by an identity provider" }]);
    }
    if (!mayGrant(ctx.actor, holderOf(role))) {
      throw new ApiError("FORBIDDEN", `You may not grant the role ${role.name}`);
    }
  }
}

const live = (ctx: ServiceContext, id: string) =>
  sql`id = ${id} and tenant_id = ${ctx.actor.tenantId} and not is_deleted`;

function samlView(settings: SamlIdpSettings, registered: SamlRegistration): SamlView {
  // Read from the metadata by the bridge, or as typed in (a bridge that does not say echoes them).
  const entityId = registered.idp?.entity_id ?? settings.idp_entity_id;
  const ssoUrl = registered.idp?.sso_url ?? settings.idp_sso_url;
  if (!entityId || !ssoUrl)
    throw ApiError.unavailable("The region's SAML bridge cannot read IdP metadata yet");
  return {
    idp_entity_id: entityId,
    idp_sso_url: ssoUrl,
    sp_entity_id: registered.service_provider.entity_id,
    acs_url: registered.service_provider.acs_url,
    metadata_url: registered.service_provider.metadata_url,
  };
}

/** Registers a SAML IdP at the region's bridge: what the row stores is the bridge's OIDC face. */
async function registerAtBridge(
  ctx: ServiceContext,
  deps: SsoConnectionDeps,
  id: string,
  settings: SamlIdpSettings,
) {
  const registered = await registerSamlConnection(deps.samlBridge, id, {
    tenant_id: ctx.actor.tenantId,
    redirect_uris: [callbackUrl(deps.regionUrl)],
    ...settings,
  });
  return { registered, saml: samlView(settings, registered) };
}

export async function createSsoConnection(
  ctx: ServiceContext,
  deps: SsoConnectionDeps,
  info: RequestInfo,
  input: SsoConnectionInput,
): Promise<SsoConnectionView> {
  if (input.protocol === "oidc") {
    const problem = issuerProblem(input.issuer, deps.allowLoopbackHttp);
    if (problem) throw ApiError.validation([{ field: "issuer", message: problem }]);
  }
  await checkRoles(ctx, input.default_role, input.group_roles);
  const id = crypto.randomUUID();
  // A SAML connection's secret is the bridge's: check the key before registering there.
  if (input.protocol === "saml") requireDataKey(deps.dataKey, "SSO connections");
  const bridged = input.protocol === "saml" ? await registerAtBridge(ctx, deps, id, input.saml) : undefined;
  const oidc =
    input.protocol === "oidc"
      ? input
      : {
          issuer: bridged?.registered.issuer ?? "",
          client_id: bridged?.registered.client_id ?? "",
          client_secret: bridged?.registered.client_secret,
          scopes: SAML_SCOPES,
        };
  const sealed =
    oidc.client_secret === undefined
      ? null
      : await sealSecret(requireDataKey(deps.dataKey, "SSO connections"), oidc.client_secret, id);
  const tenantId = ctx.actor.tenantId;
  const [, created = [], rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select pg_advisory_xact_lock(hashtextextended('sso_connections:' || ${tenantId}, 0))`,
    auditedChange(
      sql`change as (
        insert into sso_connections (id, tenant_id, name, protocol, saml, issuer, client_id, client_secret_sealed, scopes,
          domains, claims, group_roles, default_role, jit, enabled)
        select ${id}, ${tenantId}, ${input.name}, ${input.protocol}, ${bridged ? JSON.stringify(bridged.saml) : null}::jsonb,
          ${oidc.issuer}, ${oidc.client_id}, ${sealed},
          ${sql.param(oidc.scopes)}::text[], ${sql.param(input.domains)}::text[], ${JSON.stringify(input.claims)}::jsonb,
          ${JSON.stringify(input.group_roles)}::jsonb, ${input.default_role}, ${input.jit}, ${input.enabled}
        where (select count(*) from sso_connections where tenant_id = ${tenantId} and not is_deleted) < ${MAX_SSO_CONNECTIONS_PER_TENANT}
          and not exists (select 1 from sso_connections where tenant_id = ${tenantId} and issuer = ${oidc.issuer} and not is_deleted)
        returning id)`,
      {
        ...byActor(ctx, "sso_connection"),
        action: "iam.sso_connection_created",
        targetId: id,
        details: { issuer: oidc.issuer, protocol: input.protocol },
      },
      info,
    ),
    sql`select ${COLUMNS} from sso_connections where ${live(ctx, id)}`,
  ]);
  if (created.length === 0) {
    if (bridged) await removeSamlConnection(deps.samlBridge, id);
    throw new ApiError(
      "CONFLICT",
      `This tenant already has a connection for this issuer, or ${MAX_SSO_CONNECTIONS_PER_TENANT} connections`,
      { field: "issuer" },
    );
  }
  return view(rows[0] as ConnectionRow, deps);
}

export async function listSsoConnections(
  ctx: ServiceContext,
  deps: SsoConnectionDeps,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<SsoConnectionView>> {
  const [rows = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`select ${COLUMNS} from sso_connections where tenant_id = ${ctx.actor.tenantId} and not is_deleted
        ${afterCursor(query.cursor, sql`created_at`, sql`id`)}
        order by created_at desc, id desc limit ${query.limit + 1}`,
  ]);
  const page = pageOf(rows as ConnectionRow[], query.limit);
  return { ...page, items: page.items.map((r) => view(r, deps)) };
}

export async function getSsoConnection(
  ctx: ServiceContext,
  deps: SsoConnectionDeps,
  id: string,
): Promise<SsoConnectionView> {
  const [rows = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`select ${COLUMNS} from sso_connections where ${live(ctx, id)}`,
  ]);
  const row = rows[0] as ConnectionRow | undefined;
  if (!row) throw ApiError.notFound("SSO connection");
  return view(row, deps);
}

export async function updateSsoConnection(
  ctx: ServiceContext,
  deps: SsoConnectionDeps,
  info: RequestInfo,
  id: string,
  patch: SsoConnectionPatch,
): Promise<SsoConnectionView> {
  const current = await getSsoConnection(ctx, deps, id);
  const wrongKind =
    current.protocol === "saml"
      ? (["client_id", "client_secret", "scopes"] as const).filter((f) => patch[f] !== undefined)
      : patch.saml === undefined
        ? []
        : (["saml"] as const);
  if (wrongKind.length > 0) {
    throw ApiError.validation(
      wrongKind.map((field) => ({
        field,
        message: `Not a field of ${current.protocol.toUpperCase()} connections`,
      })),
    );
  }
  if (patch.default_role !== undefined || patch.group_roles !== undefined) {
    await checkRoles(
      ctx,
      patch.default_role ?? current.default_role,
      patch.group_roles ?? current.group_roles,
    );
  }
  // New IdP settings for a SAML connection: registered again at the bridge, which hands out a new secret.
  const bridged = patch.saml ? await registerAtBridge(ctx, deps, id, patch.saml) : undefined;
  const newSecret = bridged ? bridged.registered.client_secret : patch.client_secret;
  const secret =
    newSecret === undefined
      ? undefined
      : newSecret === null
        ? null
        : await sealSecret(requireDataKey(deps.dataKey, "SSO connections"), newSecret, id);
  const set = (column: string, value: unknown, cast = "") =>
    value === undefined ? sql`` : sql`, ${sql.raw(column)} = ${value}${sql.raw(cast)}`;
  const json = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value));
  const array = (value: string[] | undefined) => (value === undefined ? undefined : sql.param(value));
  const tenantId = ctx.actor.tenantId;
  const [changed = [], rows = []] = await tenantRows(ctx.db, tenantId, [
    auditedChange(
      sql`change as (
        update sso_connections set updated_at = now()
          ${set("name", patch.name)} ${set("client_id", patch.client_id)}
          ${set("saml", bridged ? JSON.stringify(bridged.saml) : undefined, "::jsonb")}
          ${secret === undefined ? sql`` : sql`, client_secret_sealed = ${secret}`}
          ${set("scopes", array(patch.scopes), "::text[]")} ${set("domains", array(patch.domains), "::text[]")}
          ${set("claims", json(patch.claims), "::jsonb")} ${set("group_roles", json(patch.group_roles), "::jsonb")}
          ${set("default_role", patch.default_role)} ${set("jit", patch.jit)} ${set("enabled", patch.enabled)}
        where ${live(ctx, id)} returning id)`,
      {
        ...byActor(ctx, "sso_connection"),
        action: "iam.sso_connection_updated",
        targetId: id,
        details: { fields: Object.keys(patch).sort().join(",") },
      },
      info,
    ),
    sql`select ${COLUMNS} from sso_connections where ${live(ctx, id)}`,
  ]);
  if (changed.length === 0) throw ApiError.notFound("SSO connection");
  return view(rows[0] as ConnectionRow, deps);
}

/** Soft delete: no more sign-ins or SCIM through it; its secret and SCIM token are erased. */
export async function deleteSsoConnection(
  ctx: ServiceContext,
  deps: Pick<SsoConnectionDeps, "samlBridge">,
  info: RequestInfo,
  id: string,
): Promise<void> {
  const [changed = [], kind = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    auditedChange(
      sql`change as (
        update sso_connections set is_deleted = true, deleted_at = now(), updated_at = now(),
          client_secret_sealed = null, scim_token_hash = null, scim_token_created_at = null
        where ${live(ctx, id)} returning id)`,
      { ...byActor(ctx, "sso_connection"), action: "iam.sso_connection_deleted", targetId: id },
      info,
    ),
    sql`select protocol from sso_connections where id = ${id} and tenant_id = ${ctx.actor.tenantId}`,
  ]);
  if (changed.length === 0) throw ApiError.notFound("SSO connection");
  // Already unusable (its secret is gone); the bridge forgets its IdP too, best effort.
  if ((kind[0] as { protocol: string } | undefined)?.protocol === "saml")
    await removeSamlConnection(deps.samlBridge, id);
}

/** A new SCIM bearer token for the connection (stored as its SHA-256); the previous one stops at once. */
export async function createScimToken(
  ctx: ServiceContext,
  deps: SsoConnectionDeps,
  info: RequestInfo,
  id: string,
): Promise<{ token: string; base_url: string }> {
  const token = `${SCIM_TOKEN_PREFIX}${randomToken(32)}`;
  const [changed = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    auditedChange(
      sql`change as (
        update sso_connections set scim_token_hash = ${await sha256Hex(token)}, scim_token_created_at = now(), updated_at = now()
        where ${live(ctx, id)} returning id)`,
      { ...byActor(ctx, "sso_connection"), action: "iam.scim_token_created", targetId: id },
      info,
    ),
  ]);
  if (changed.length === 0) throw ApiError.notFound("SSO connection");
  return { token, base_url: scimBaseUrl(deps.regionUrl) };
}
