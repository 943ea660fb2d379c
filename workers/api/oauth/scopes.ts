/**
 * Scopes this authorization server knows. `openid`/`profile`/`email` shape userinfo and the ID
 * token; the API scopes are carried in access tokens. A role's permissions decide what a token
 * may do; scopes narrow what the client asked for (IAM checks both).
 */
export const SUPPORTED_SCOPES = [
  "openid",
  "profile",
  "email",
  "offline_access",
  "ai:read",
  "ai:write",
  "crm:read",
  "crm:write",
  "finance:read",
  "finance:write",
  "iam:read",
  "iam:write",
  "realtime:read",
  "realtime:write",
  "webhooks:read",
  "webhooks:write",
] as const;

/**
 * The granted scope for a request: what was asked (space-separated, RFC 6749 §3.3), each allowed
 * for the client; nothing asked means everything the client may have. Null: an unknown or
 * disallowed scope (invalid_scope).
 */
export function grantScope(requested: string | undefined, allowed: readonly string[]): string[] | null {
  const asked = (requested ?? "").split(" ").filter(Boolean);
  if (asked.length === 0) return [...allowed];
  if (requested && requested.length > 1024) return null;
  const unique = [...new Set(asked)];
  return unique.every((s) => allowed.includes(s) && (SUPPORTED_SCOPES as readonly string[]).includes(s))
    ? unique
    : null;
}
