import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf } from "../../../../db/rows";
import { timingSafeEqual } from "../../auth/credentials/constant-time";
import { sha256Hex } from "../../oauth/encoding";

export interface OAuthClientRecord {
  id: string;
  clientId: string;
  tenantId: string | null;
  name: string;
  type: "public" | "confidential";
  secretHash: string | null;
  redirectUris: string[];
  grantTypes: string[];
  scopes: string[];
  role: string | null;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

interface ClientRow {
  id: string;
  client_id: string;
  tenant_id: string | null;
  name: string;
  client_type: "public" | "confidential";
  secret_hash: string | null;
  redirect_uris: string[];
  grant_types: string[];
  scopes: string[];
  role: string | null;
  access_token_ttl_seconds: number;
  refresh_token_ttl_seconds: number;
}

/** By client_id across tenants (auth_find_client, migration 0005): the client names its tenant. */
export async function findClient(db: Database, clientId: string): Promise<OAuthClientRecord | undefined> {
  if (clientId.length === 0 || clientId.length > 128) return undefined;
  const [row] = await rowsOf<ClientRow>(db, sql`select * from auth_find_client(${clientId})`);
  if (!row) return undefined;
  return {
    id: row.id,
    clientId: row.client_id,
    tenantId: row.tenant_id,
    name: row.name,
    type: row.client_type,
    secretHash: row.secret_hash,
    redirectUris: row.redirect_uris,
    grantTypes: row.grant_types,
    scopes: row.scopes,
    role: row.role,
    accessTokenTtlSeconds: Number(row.access_token_ttl_seconds),
    refreshTokenTtlSeconds: Number(row.refresh_token_ttl_seconds),
  };
}

export async function clientSecretMatches(client: OAuthClientRecord, secret: string): Promise<boolean> {
  if (!client.secretHash || secret.length > 256) return false;
  const enc = new TextEncoder();
  return timingSafeEqual(enc.encode(await sha256Hex(secret)), enc.encode(client.secretHash));
}
