import { isPortZero, LOOPBACK_HOSTS } from "./redirect-registration";

/**
 * Exact string match against a registered redirect URI, with one exception (RFC 8252 §7.3):
 * a public (native) client registered with a loopback IP literal may use any port, since the
 * operating system hands it one at run time. Everything else (scheme, host, path, query) must
 * still match exactly; `localhost` is not a loopback literal here (RFC 8252 §8.3). Port 0 never
 * matches: it is no port a client listens on.
 *
 * A registered URI that is a path (`/docs`) means that path on this region's own origin
 * (`selfOrigin`): how the first-party docs client is registered once for every deployment,
 * whatever its domain. Only migrations register such URIs; registrations through the API must
 * be absolute (redirect-registration.ts).
 */
export function redirectUriMatches(
  requested: string,
  registered: readonly string[],
  isPublic: boolean,
  selfOrigin: string,
): boolean {
  let url: URL;
  try {
    url = new URL(requested);
  } catch {
    return false;
  }
  if (isPortZero(url)) return false;
  if (registered.includes(requested)) return true;
  const origin = new URL(selfOrigin).origin;
  if (registered.some((r) => r.startsWith("/") && !r.startsWith("//") && `${origin}${r}` === requested)) {
    return true;
  }
  if (!isPublic) return false;
  if (url.protocol !== "http:" || !LOOPBACK_HOSTS.has(url.hostname) || url.username || url.password)
    return false;
  return registered.some((candidate) => {
    let reg: URL;
    try {
      reg = new URL(candidate);
    } catch {
      return false;
    }
    if (reg.protocol !== "http:" || !LOOPBACK_HOSTS.has(reg.hostname)) return false;
    const withoutPort = (u: URL) => `${u.protocol}//${u.hostname}${u.pathname}${u.search}`;
    // Same text once the port is removed, and the request's text is the normalised URL itself
    // (no surprises such as a fragment or a percent-encoded host).
    return withoutPort(reg) === withoutPort(url) && requested === url.href && !url.hash;
  });
}

/** `redirect_uri` plus response parameters, keeping any query the client registered. */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}
