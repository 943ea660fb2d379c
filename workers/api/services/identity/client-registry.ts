import { sql } from "drizzle-orm";
import { tenantRows, textArray, utcIso } from "../../../../db/rows";
import { REGIONS } from "../../../../regions/registry";
import { mayGrant } from "../../auth/role-ceiling";
import { ApiError } from "../../lib/errors";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import { randomToken, sha256Hex } from "../../oauth/encoding";
import type { OAuthClientInput, OAuthClientView } from "../../schemas/oauth-client";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import { auditedChange, byActor } from "./audited-change";
import type { RequestInfo } from "./request-info";

/** A tenant's own OAuth clients (row-level security hides the region's first-party ones). */
const CLIENT_COLUMNS = sql`c.id, c.client_id, c.name, c.client_type as type, c.redirect_uris, c.grant_types, c.scopes,
  c.role, c.access_token_ttl_seconds, c.refresh_token_ttl_seconds, ${utcIso(sql`c.created_at`)} as created_at`;

const clientQuery = (tenantId: string) =>
  sql`select ${CLIENT_COLUMNS} from oauth_clients c where c.tenant_id = ${tenantId} and not c.is_deleted`;

export async function listClients(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<OAuthClientView>> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`${clientQuery(tenantId)} ${afterCursor(query.cursor, sql`c.created_at`, sql`c.id`)}
        order by c.created_at desc, c.id desc limit ${query.limit + 1}`,
  ]);
  return pageOf(rows as OAuthClientView[], query.limit);
}

export async function getClient(ctx: ServiceContext, id: string): Promise<OAuthClientView> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [sql`${clientQuery(tenantId)} and c.id = ${id}`]);
  const client = rows[0] as OAuthClientView | undefined;
  if (!client) throw ApiError.notFound("OAuth client");
  return client;
}

/**
 * Registers a client. Its id names the region (`nxc_{region}_…`) as every credential does; a
 * confidential client's secret is answered once and stored as its SHA-256 (256 random bits, so a
 * fast hash is enough), as clientSecretMatches expects.
 */
export async function createClient(
  ctx: ServiceContext,
  info: RequestInfo,
  input: OAuthClientInput,
): Promise<OAuthClientView & { client_secret: string | null }> {
  if (input.role !== undefined && !mayGrant(ctx.actor, { role: input.role })) {
    throw new ApiError("FORBIDDEN", `A client may not have a role above yours (${input.role})`, {
      field: "role",
    });
  }
  const tenantId = ctx.actor.tenantId;
  const id = crypto.randomUUID();
  const clientId = `nxc_${REGIONS[ctx.region].keyCode}_${randomToken(18)}`;
  const secret = input.type === "confidential" ? `nxcs_${randomToken(32)}` : null;
  const [, rows = []] = await tenantRows(ctx.db, tenantId, [
    auditedChange(
      sql`change as (
        insert into oauth_clients (id, client_id, tenant_id, name, client_type, secret_hash, redirect_uris, grant_types,
                                   scopes, role, access_token_ttl_seconds, refresh_token_ttl_seconds)
        values (${id}, ${clientId}, ${tenantId}, ${input.name}, ${input.type}, ${secret ? await sha256Hex(secret) : null},
                ${textArray(input.redirect_uris)}, ${textArray(input.grant_types)}, ${textArray(input.scopes)}, ${input.role ?? null},
                ${input.access_token_ttl_seconds}, ${input.refresh_token_ttl_seconds})
        returning id)`,
      {
        ...byActor(ctx, "oauth_client"),
        action: "oauth.client_created",
        targetId: clientId,
        details: { type: input.type, grant_types: input.grant_types.join(" "), role: input.role ?? null },
      },
      info,
    ),
    sql`${clientQuery(tenantId)} and c.id = ${id}`,
  ]);
  return { ...(rows[0] as OAuthClientView), client_secret: secret };
}

/**
 * Soft-deletes the client and revokes its refresh-token families in the same transaction: the
 * token endpoint stops knowing it at once. Returns the families' ids, for the edge revocation
 * list to refuse the access tokens already issued.
 */
export async function deleteClient(
  ctx: ServiceContext,
  info: RequestInfo,
  id: string,
): Promise<{ revokedFamilies: string[] }> {
  const client = await getClient(ctx, id);
  const tenantId = ctx.actor.tenantId;
  const [deleted = [], families = []] = await tenantRows(ctx.db, tenantId, [
    auditedChange(
      sql`change as (
        update oauth_clients set is_deleted = true, deleted_at = now(), updated_at = now()
        where id = ${id} and tenant_id = ${tenantId} and not is_deleted returning id
      ), revoked as (
        update refresh_families f set revoked_at = now(), revoked_reason = 'client_deleted'
        from change c where f.client_id = c.id and f.revoked_at is null returning f.id)`,
      { ...byActor(ctx, "oauth_client"), action: "oauth.client_deleted", targetId: client.client_id },
      info,
    ),
    // now() is the transaction's start (rounded as the column stores it): the families just revoked.
    sql`select id from refresh_families
        where client_id = ${id} and revoked_at = now()::timestamptz(3) and revoked_reason = 'client_deleted'`,
  ]);
  if (deleted.length === 0) throw ApiError.notFound("OAuth client");
  return { revokedFamilies: (families as { id: string }[]).map((f) => f.id) };
}
