import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, instant, softDelete, tenantIsolation, timestamps } from "./columns";
import { tenants } from "./tenants";
import { users } from "./users";

/**
 * Sign-in sessions of the authorization server's pages (cookie `nx_session`). A user is not yet
 * bound to a tenant when signing in, so, like users, sessions carry no tenant_id. Only the
 * SHA-256 of the cookie value is stored.
 */
export const authSessions = pgTable(
  "auth_sessions",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    tokenHash: text("token_hash").notNull(),
    createdAt: instant("created_at").notNull().defaultNow(),
    lastSeenAt: instant("last_seen_at").notNull().defaultNow(),
    /** Absolute end (8 h after sign-in); idle expiry is last_seen_at + 30 min. */
    expiresAt: instant("expires_at").notNull(),
    revokedAt: instant("revoked_at"),
  },
  (t) => [
    uniqueIndex("auth_sessions_token_hash_key").on(t.tokenHash),
    index("auth_sessions_user_idx").on(t.userId),
  ],
);

/**
 * OAuth clients. tenant_id null = a first-party client of the region (`nexus-cli`), visible to no
 * tenant; the authorization server finds clients by client_id through `auth_find_client`.
 */
export const oauthClients = pgTable(
  "oauth_clients",
  {
    id: id(),
    clientId: text("client_id").notNull(),
    tenantId: uuid("tenant_id").references(() => tenants.id),
    name: text("name").notNull(),
    clientType: text("client_type", { enum: ["public", "confidential"] }).notNull(),
    /** SHA-256 of the secret (hex); confidential clients only. Secrets are 256-bit random. */
    secretHash: text("secret_hash"),
    redirectUris: text("redirect_uris").array().notNull().default(sql`'{}'::text[]`),
    grantTypes: text("grant_types").array().notNull(),
    scopes: text("scopes").array().notNull(),
    /** Role of tokens from client_credentials (the client acts as itself). */
    role: text("role"),
    accessTokenTtlSeconds: integer("access_token_ttl_seconds").notNull().default(900),
    refreshTokenTtlSeconds: integer("refresh_token_ttl_seconds").notNull().default(604_800),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    uniqueIndex("oauth_clients_client_id_key").on(t.clientId),
    index("oauth_clients_tenant_id_idx").on(t.tenantId),
    tenantIsolation(),
  ],
).enableRLS();

/** Authorization codes: single use, 60 s. The code itself is never stored, only its hash. */
export const oauthCodes = pgTable(
  "oauth_codes",
  {
    id: id(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    codeHash: text("code_hash").notNull(),
    clientId: uuid("client_id")
      .notNull()
      .references(() => oauthClients.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    redirectUri: text("redirect_uri").notNull(),
    codeChallenge: text("code_challenge").notNull(),
    scope: text("scope").notNull(),
    nonce: text("nonce"),
    authTime: instant("auth_time").notNull(),
    expiresAt: instant("expires_at").notNull(),
    usedAt: instant("used_at"),
    createdAt: instant("created_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("oauth_codes_code_hash_key").on(t.codeHash),
    index("oauth_codes_tenant_id_idx").on(t.tenantId),
    tenantIsolation(),
  ],
).enableRLS();

/**
 * A refresh-token family: every token rotated from one grant. Replaying a used token revokes the
 * family (RFC 9700 §4.14.2); so does redeeming its code twice or revoking any of its tokens.
 */
export const refreshFamilies = pgTable(
  "refresh_families",
  {
    id: id(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    clientId: uuid("client_id")
      .notNull()
      .references(() => oauthClients.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    codeId: uuid("code_id").references(() => oauthCodes.id),
    scope: text("scope").notNull(),
    authTime: instant("auth_time").notNull(),
    createdAt: instant("created_at").notNull().defaultNow(),
    revokedAt: instant("revoked_at"),
    revokedReason: text("revoked_reason"),
  },
  (t) => [
    index("refresh_families_tenant_id_idx").on(t.tenantId),
    uniqueIndex("refresh_families_code_id_key").on(t.codeId),
    // The edge revocation list's Postgres fallback reads recently revoked families.
    index("refresh_families_revoked_at_idx").on(t.revokedAt).where(sql`revoked_at is not null`),
    tenantIsolation(),
  ],
).enableRLS();

export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: id(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    familyId: uuid("family_id")
      .notNull()
      .references(() => refreshFamilies.id),
    tokenHash: text("token_hash").notNull(),
    expiresAt: instant("expires_at").notNull(),
    /** Set by the one rotation that may use this token (compare-and-set on null). */
    usedAt: instant("used_at"),
    createdAt: instant("created_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("refresh_tokens_token_hash_key").on(t.tokenHash),
    index("refresh_tokens_family_idx").on(t.familyId),
    tenantIsolation(),
  ],
).enableRLS();

/**
 * Access tokens revoked before their expiry (RFC 7009), by jti. Kept until the token would have
 * expired; the edge's revocation cache is fed from here.
 */
export const revokedAccessTokens = pgTable(
  "revoked_access_tokens",
  {
    jti: text("jti").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    expiresAt: instant("expires_at").notNull(),
    revokedAt: instant("revoked_at").notNull().defaultNow(),
  },
  (t) => [
    index("revoked_access_tokens_tenant_id_idx").on(t.tenantId),
    index("revoked_access_tokens_expires_idx").on(t.expiresAt),
    tenantIsolation(),
  ],
).enableRLS();

/** One-time MFA recovery codes (salted hashes). */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    codeHash: text("code_hash").notNull(),
    usedAt: instant("used_at"),
    createdAt: instant("created_at").notNull().defaultNow(),
  },
  (t) => [index("recovery_codes_user_idx").on(t.userId)],
);

/**
 * The audit trail. Append-only for the app role (no update/delete). tenant_id null marks a
 * region-level event with no tenant to show it to (a sign-in attempt for an unknown account).
 * `details` never holds secrets: ids, client ids, reasons, never tokens or passwords.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: id(),
    tenantId: uuid("tenant_id").references(() => tenants.id),
    action: text("action").notNull(),
    outcome: text("outcome", { enum: ["success", "failure"] }).notNull(),
    actorType: text("actor_type", { enum: ["user", "client", "api_key", "system", "anonymous"] }).notNull(),
    actorId: text("actor_id"),
    targetType: text("target_type"),
    targetId: text("target_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    requestId: text("request_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: instant("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("audit_log_tenant_created_idx").on(
      t.tenantId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    tenantIsolation(),
  ],
).enableRLS();

export type OauthClient = typeof oauthClients.$inferSelect;
export type AuditEntry = typeof auditLog.$inferSelect;
