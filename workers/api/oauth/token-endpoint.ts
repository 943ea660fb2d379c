import type { Context } from "hono";
import { tenantRows } from "../../../db/rows";
import type { AppEnv } from "../app-env";
import { announceRevocations, revokedFamilies } from "../auth/revocation-list";
import type { Config } from "../env";
import { requestInfo } from "../lib/request-info";
import { deferOf, serviceDatabase } from "../lib/service-context";
import { auditInsert } from "../services/identity/audit";
import type { OAuthClientRecord } from "../services/identity/clients";
import { findCode, redeemCode, revokeCodeFamily, rotateRefreshToken } from "../services/identity/grants";
import type { RequestInfo } from "../services/identity/request-info";
import { findUserById } from "../services/identity/users";
import { authenticateClient } from "./client-authentication";
import { OAuthError } from "./oauth-error";
import { oauthJson } from "./oauth-response";
import { verifyPkce } from "./pkce";
import { grantScope } from "./scopes";
import { issueAccessToken, issueIdToken, signingKeyOf, type TokenSubject } from "./token-issuer";

type Form = Record<string, unknown>;
const str = (form: Form, name: string) =>
  typeof form[name] === "string" ? (form[name] as string) : undefined;

function required(form: Form, name: string): string {
  const value = str(form, name);
  if (!value) throw new OAuthError("invalid_request", `${name} is required`);
  if (value.length > 4096) throw new OAuthError("invalid_request", `${name} is too long`);
  return value;
}

export async function readForm(c: Context<AppEnv>): Promise<Form> {
  const type = c.req.header("Content-Type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) {
    throw new OAuthError("invalid_request", "The body must be application/x-www-form-urlencoded");
  }
  const form = await c.req.parseBody({ all: true });
  // RFC 6749 §3.2: parameters must not be repeated.
  for (const [name, value] of Object.entries(form)) {
    if (Array.isArray(value)) throw new OAuthError("invalid_request", `${name} is repeated`);
  }
  return form;
}

interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

/** The access-token part every grant answers with (RFC 6749 §5.1). */
async function bearer(config: Config, subject: TokenSubject): Promise<TokenResponse> {
  return {
    access_token: await issueAccessToken(config, subject),
    token_type: "Bearer",
    expires_in: subject.ttlSeconds,
    scope: subject.scope.join(" "),
  };
}

/** POST /oauth/token (RFC 6749 §3.2): the three grants OAuth 2.1 keeps, nothing else. */
export async function tokenEndpoint(c: Context<AppEnv>) {
  const config = c.get("config");
  signingKeyOf(config); // a region without its key answers 503 before any database work
  const form = await readForm(c);
  const db = serviceDatabase(c);
  const client = await authenticateClient(db, c.req.header("Authorization"), form);
  const grantType = str(form, "grant_type");
  if (!grantType) throw new OAuthError("invalid_request", "grant_type is required");
  if (!["authorization_code", "refresh_token", "client_credentials"].includes(grantType)) {
    throw new OAuthError("unsupported_grant_type", `grant_type ${grantType.slice(0, 64)} is not supported`);
  }
  if (!client.grantTypes.includes(grantType)) {
    throw new OAuthError("unauthorized_client", `This client may not use ${grantType}`);
  }
  const info = requestInfo(c);
  const body =
    grantType === "authorization_code"
      ? await authorizationCodeGrant(c, config, client, form, info)
      : grantType === "refresh_token"
        ? await refreshTokenGrant(c, config, client, form, info)
        : await clientCredentialsGrant(c, config, client, form, info);
  return oauthJson(c, body, 200);
}

async function authorizationCodeGrant(
  c: Context<AppEnv>,
  config: Config,
  client: OAuthClientRecord,
  form: Form,
  info: RequestInfo,
): Promise<TokenResponse> {
  const codeValue = required(form, "code");
  const verifier = required(form, "code_verifier");
  const redirectUri = required(form, "redirect_uri");
  const db = serviceDatabase(c);
  const code = await findCode(db, codeValue);
  if (!code || code.clientId !== client.id) throw new OAuthError("invalid_grant", "The code is not valid");
  if (code.used) {
    await announceRevocations(config, revokedFamilies(await revokeCodeFamily(db, code, info)), deferOf(c));
    throw new OAuthError("invalid_grant", "The code was already used; what it issued is revoked");
  }
  if (code.expired) throw new OAuthError("invalid_grant", "The code has expired");
  if (code.redirectUri !== redirectUri) throw new OAuthError("invalid_grant", "redirect_uri does not match");
  if (!(await verifyPkce(verifier, code.codeChallenge))) {
    throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge");
  }
  const issued = await redeemCode(db, code, client.refreshTokenTtlSeconds, info);
  if (!issued) {
    // Redeemed by a parallel request an instant earlier (or the user left the tenant): treat it
    // as a replay, so whatever that redemption issued is revoked too.
    await announceRevocations(config, revokedFamilies(await revokeCodeFamily(db, code, info)), deferOf(c));
    throw new OAuthError("invalid_grant", "The code is no longer valid");
  }
  const scope = code.scope.split(" ").filter(Boolean);
  const response = await bearer(config, {
    userId: code.userId,
    tenantId: code.tenantId,
    role: issued.role,
    permissions: issued.permissions,
    scope,
    clientId: client.clientId,
    familyId: issued.familyId,
    ttlSeconds: client.accessTokenTtlSeconds,
  });
  if (client.grantTypes.includes("refresh_token")) response.refresh_token = issued.refreshToken;
  if (scope.includes("openid")) {
    const user = await findUserById(db, code.userId);
    response.id_token = await issueIdToken(config, {
      userId: code.userId,
      clientId: client.clientId,
      nonce: code.nonce,
      authTime: code.authTime,
      ...(user && scope.includes("email") ? { email: user.email } : {}),
      ...(user && scope.includes("profile") ? { name: user.name } : {}),
    });
  }
  return response;
}

async function refreshTokenGrant(
  c: Context<AppEnv>,
  config: Config,
  client: OAuthClientRecord,
  form: Form,
  info: RequestInfo,
): Promise<TokenResponse> {
  const presented = required(form, "refresh_token");
  const db = serviceDatabase(c);
  const rotated = await rotateRefreshToken(db, presented, client.id, client.refreshTokenTtlSeconds, info);
  if (!rotated.ok) {
    await announceRevocations(config, revokedFamilies(rotated.revokedFamilies), deferOf(c));
    throw new OAuthError(
      "invalid_grant",
      rotated.reason === "reuse_detected"
        ? "The refresh token was already used; its whole grant is revoked"
        : "The refresh token is not valid",
    );
  }
  const granted = rotated.scope.split(" ").filter(Boolean);
  // RFC 6749 §6: a refresh may narrow the scope, never widen it.
  const scope = str(form, "scope") === undefined ? granted : grantScope(str(form, "scope"), granted);
  if (!scope) throw new OAuthError("invalid_scope", "The scope exceeds what was granted");
  return {
    ...(await bearer(config, {
      userId: rotated.userId,
      tenantId: rotated.tenantId,
      role: rotated.role,
      permissions: rotated.permissions,
      scope,
      clientId: client.clientId,
      familyId: rotated.familyId,
      ttlSeconds: client.accessTokenTtlSeconds,
    })),
    refresh_token: rotated.refreshToken,
  };
}

/** Machine-to-machine: a tenant's confidential client acts as itself, with its configured role. */
async function clientCredentialsGrant(
  c: Context<AppEnv>,
  config: Config,
  client: OAuthClientRecord,
  form: Form,
  info: RequestInfo,
): Promise<TokenResponse> {
  if (client.type !== "confidential" || !client.tenantId) {
    throw new OAuthError(
      "unauthorized_client",
      "Only a tenant's confidential client may use client_credentials",
    );
  }
  const allowed = client.scopes.filter((s) => !["openid", "profile", "email", "offline_access"].includes(s));
  const scope = grantScope(str(form, "scope"), allowed);
  if (!scope)
    throw new OAuthError("invalid_scope", "A requested scope is unknown or not allowed for this client");
  const role = client.role ?? "Member";
  await tenantRows(serviceDatabase(c), client.tenantId, [
    auditInsert(
      {
        tenantId: client.tenantId,
        action: "oauth.token_issued",
        outcome: "success",
        actorType: "client",
        actorId: client.id,
        targetType: "oauth_client",
        targetId: client.clientId,
        details: { grant_type: "client_credentials", role },
      },
      info,
    ),
  ]);
  return bearer(config, {
    machine: true,
    userId: client.id,
    tenantId: client.tenantId,
    role,
    scope,
    clientId: client.clientId,
    ttlSeconds: client.accessTokenTtlSeconds,
  });
}
