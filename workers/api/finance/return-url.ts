import { LOOPBACK_HOSTS } from "../oauth/redirect-registration";

/**
 * Where the provider sends the customer back after the checkout: https, or plain http to a
 * loopback address (`127.0.0.1`, `[::1]`, `localhost`) where the deployment allows local targets
 * (development and tests, WEBHOOK_ALLOW_PRIVATE_TARGETS; never production). No credentials, no
 * fragment: providers append their own query. Answers the reason it is refused, or undefined.
 */
export function returnUrlProblem(raw: string, allowLoopbackHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "return_url must be an absolute URL";
  }
  if (url.username || url.password) return "return_url must not carry credentials";
  if (url.hash) return "return_url must not have a fragment";
  if (url.protocol === "https:") return url.hostname ? undefined : "return_url must name a host";
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname === "localhost";
  if (url.protocol === "http:" && loopback && allowLoopbackHttp) return undefined;
  return allowLoopbackHttp
    ? "return_url must use https (or http on a loopback address)"
    : "return_url must use https";
}
