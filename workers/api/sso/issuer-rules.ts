/**
 * What an issuer may be, and how each provider's users are keyed. One issuer per connection:
 * the ID token's `iss` must equal it exactly (openid-client checks), so Entra's multi-tenant
 * endpoints, whose discovery document names a placeholder issuer, are refused up front.
 */
const ENTRA_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.microsoftonline.us",
  "login.partner.microsoftonline.cn",
]);
const ENTRA_SHARED_TENANTS = new Set(["common", "organizations", "consumers", "{tenantid}"]);
const GOOGLE_ISSUERS = new Set(["https://accounts.google.com", "accounts.google.com"]);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type IssuerKind = "entra" | "google" | "generic";

const isLoopback = (host: string) => host === "127.0.0.1" || host === "localhost" || host === "[::1]";

/** A problem with an issuer URL for a connection, in words for a 400; undefined when it is fine. */
export function issuerProblem(issuer: string, allowLoopbackHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return "Must be the identity provider's issuer URL";
  }
  if (url.search || url.hash) return "An issuer has no query or fragment";
  if (
    url.protocol !== "https:" &&
    !(allowLoopbackHttp && url.protocol === "http:" && isLoopback(url.hostname))
  ) {
    return "Must be an https URL";
  }
  if (url.username || url.password) return "An issuer has no credentials";
  if (ENTRA_HOSTS.has(url.hostname)) {
    const tenant = url.pathname.split("/")[1]?.toLowerCase() ?? "";
    if (ENTRA_SHARED_TENANTS.has(tenant)) {
      return (
        "Microsoft Entra's shared endpoints (common, organizations, consumers) have no single issuer: use your " +
        "tenant's, https://login.microsoftonline.com/<tenant id>/v2.0"
      );
    }
    if (!GUID.test(tenant)) return "A Microsoft Entra issuer names the tenant by its id (a GUID)";
  }
  return undefined;
}

export function issuerKind(issuer: string): IssuerKind {
  if (GOOGLE_ISSUERS.has(issuer.replace(/\/+$/, ""))) return "google";
  try {
    if (ENTRA_HOSTS.has(new URL(issuer).hostname)) return "entra";
  } catch {
    // issuerProblem refused it before any connection was stored
  }
  return "generic";
}

/** The Entra tenant id an Entra issuer names. */
export function entraTenantOf(issuer: string): string | undefined {
  const tenant = new URL(issuer).pathname.split("/")[1];
  return tenant && GUID.test(tenant) ? tenant.toLowerCase() : undefined;
}

export type SubjectCheck = { ok: true; subject: string } | { ok: false; reason: string };

/**
 * The stable key of the signed-in person at this connection. Entra: `tid` + `oid` (the
 * object id is the same across the tenant's apps; `sub` is pairwise and `email` is mutable
 * and unverified: "nOAuth"), with `tid` required to be the connection's tenant. Google: `sub`,
 * with the Workspace domain (`hd` claim, not the `hd` request hint) one of the connection's.
 * Others: `sub`.
 */
export function subjectOf(
  issuer: string,
  claims: Record<string, unknown>,
  connectionDomains: readonly string[],
): SubjectCheck {
  const sub = typeof claims.sub === "string" ? claims.sub : undefined;
  if (!sub) return { ok: false, reason: "no_subject" };
  switch (issuerKind(issuer)) {
    case "entra": {
      const tid = typeof claims.tid === "string" ? claims.tid.toLowerCase() : undefined;
      const oid = typeof claims.oid === "string" ? claims.oid.toLowerCase() : undefined;
      if (!tid || !oid) return { ok: false, reason: "entra_missing_tid_oid" };
      if (tid !== entraTenantOf(issuer)) return { ok: false, reason: "entra_wrong_tenant" };
      return { ok: true, subject: `${tid}:${oid}` };
    }
    case "google": {
      const hd = typeof claims.hd === "string" ? claims.hd.toLowerCase() : undefined;
      if (!hd || !connectionDomains.includes(hd)) return { ok: false, reason: "google_hd_not_allowed" };
      return { ok: true, subject: sub };
    }
    default:
      return { ok: true, subject: sub };
  }
}
