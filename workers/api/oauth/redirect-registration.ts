/** Loopback IP literals (RFC 8252 §7.3); `localhost` is not one (§8.3). */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "[::1]"]);

/**
 * Port 0 asks the operating system for any free port: no client listens on it, so a redirect
 * there goes wherever something else is bound.
 */
export const isPortZero = (url: URL) => url.port === "0";

/**
 * Why a redirect URI may not be registered (null: it may). Registered URIs are matched as exact
 * strings, so they must already be in the normalised form the URL parser gives; https only,
 * except plain-http loopback literals for public (native) clients, which then may use any port.
 * No fragments (RFC 6749 §3.1.2) and no user info.
 */
export function redirectUriProblem(uri: string, isPublic: boolean): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "Not an absolute URL";
  }
  if (uri.includes("#")) return "A redirect URI may not have a fragment";
  if (url.username || url.password) return "A redirect URI may not carry user info";
  if (url.href !== uri) return `Write it in normalised form: ${url.href}`;
  if (isPortZero(url)) return "Port 0 is not a port a client can listen on";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) {
    return isPublic ? null : "Plain-http loopback redirects are for public native clients only";
  }
  return "Only https, or http://127.0.0.1 / http://[::1] for public native clients";
}
