import { type AddressVerdict, classifyIpAddress, parseIpv4 } from "./ip-address";

/**
 * Which webhook URLs this deployment sends to (SSRF guard, OWASP API7).
 *
 * A Worker cannot resolve DNS itself, so two layers share the work:
 *
 * - Here, at registration and again before every delivery attempt (`checkWebhookUrl`): the URL's
 *   form and its literal host. Only https; no credentials in the URL; an IP literal must be
 *   publicly routable (see ip-address.ts) and written in plain dotted decimal (`0x7f.1`,
 *   `2130706433` and `0177.0.0.1` all parse to 127.0.0.1, so they are refused as spellings); names
 *   that are local by standard (`localhost`, `*.localhost`, `*.local`, `*.internal`, `*.home.arpa`
 *   …) or single labels are refused; metadata names and addresses are refused always.
 * - At connect time, by the runtime: Cloudflare's `fetch()` egresses to the public Internet, and
 *   workerd's default outbound network (`allow = ["public"]`, the `Network` struct in
 *   workerd.capnp) filters the addresses a name resolves to and refuses non-public ones, which
 *   covers a public name resolving to a private address, and DNS rebinding between check and
 *   connect. `checkResolvedAddress` is for a dispatcher that learns the address it reached (or
 *   resolves names itself, over DNS-over-HTTPS) and wants the same verdict on it.
 *
 * The dispatcher must also refuse to follow redirects (`redirect: "manual"`, as
 * buildDeliveryRequest sets), since a redirect target never passed this check.
 */
export interface TargetPolicy {
  /**
   * Local development and tests deliver to receivers on this machine: private, loopback and
   * link-local targets and plain http are allowed. Metadata targets stay refused. Never true in
   * production (refused in env.ts).
   */
  allowPrivateTargets: boolean;
}

export type TargetCheck = { ok: true; url: URL } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;

/** Names of instance-metadata services (GCP, AWS aliases): refused under every policy. */
const METADATA_NAMES = new Set(["metadata", "metadata.google.internal", "metadata.goog", "instance-data"]);

/**
 * Special-use suffixes that never name a public host: RFC 6761 (localhost, test, invalid,
 * example), RFC 6762 (local), RFC 7686 (onion), RFC 8375 (home.arpa), RFC 9476 (alt), ICANN's
 * private-use `internal`, and the common `localdomain`.
 */
const LOCAL_SUFFIXES = [
  "localhost",
  "local",
  "internal",
  "home.arpa",
  "localdomain",
  "test",
  "invalid",
  "example",
  "onion",
  "alt",
];

const refuse = (reason: string): TargetCheck => ({ ok: false, reason });

/**
 * The host exactly as written in the URL text, before the URL parser canonicalised it (lower
 * case; without user info and port). WHATWG parsing turns `0x7f.1` into `127.0.0.1`: comparing
 * the two is how an unusual spelling is recognised.
 */
function writtenHost(raw: string): string {
  const afterScheme = raw.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:[/\\]*/, "");
  const authority = afterScheme.split(/[/?#\\]/, 1)[0] ?? "";
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  return (
    host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:[0-9]*$/, "")
  ).toLowerCase();
}

function addressProblem(verdict: AddressVerdict, policy: TargetPolicy): string | undefined {
  return verdict.public || (policy.allowPrivateTargets && !verdict.metadata) ? undefined : verdict.reason;
}

function checkName(name: string, policy: TargetPolicy): string | undefined {
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  if (METADATA_NAMES.has(bare)) return "a cloud metadata host";
  if (bare.split(".").some((label) => label === "")) return "not a valid host name";
  if (policy.allowPrivateTargets) return undefined;
  const suffix = LOCAL_SUFFIXES.find((s) => bare === s || bare.endsWith(`.${s}`));
  if (suffix) return `a local or special-use name (.${suffix})`;
  if (!bare.includes(".")) return "a single-label name (not resolvable on the Internet)";
  return undefined;
}

/** Plain http only where private targets are allowed (local development and tests). */
function acceptedSchemes(policy: TargetPolicy): string[] {
  return policy.allowPrivateTargets ? ["https", "http"] : ["https"];
}

/**
 * The verdict on a webhook URL: its canonical form (what is stored and fetched) or why it is
 * refused. Run at registration and update, and by the dispatcher before each attempt (the policy
 * or these rules may have changed since the endpoint was registered).
 */
export function checkWebhookUrl(raw: string, policy: TargetPolicy): TargetCheck {
  if (raw.length > MAX_URL_LENGTH) return refuse(`must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("must be an absolute URL");
  }
  const schemes = acceptedSchemes(policy);
  if (!schemes.includes(url.protocol.slice(0, -1))) {
    const accepts = schemes.length === 1 ? `${schemes[0]} only` : schemes.join(" and ");
    return refuse(
      `must use ${schemes.join(" or ")} (this deployment accepts ${accepts}, not ${url.protocol.slice(0, -1)})`,
    );
  }
  if (url.username !== "" || url.password !== "") return refuse("must not contain credentials");

  const host = url.hostname;
  if (parseIpv4(host) && writtenHost(raw) !== host) {
    return refuse(`must write an IPv4 address in dotted decimal (it reads as ${host})`);
  }
  const address = classifyIpAddress(host);
  const problem = address ? addressProblem(address, policy) : checkName(host, policy);
  return problem ? refuse(`must not point at ${problem}`) : { ok: true, url };
}

/**
 * The verdict on an address a webhook host resolved to (or a delivery connected to), under the
 * same policy as checkWebhookUrl.
 */
export function checkResolvedAddress(
  address: string,
  policy: TargetPolicy,
): { ok: true } | { ok: false; reason: string } {
  const verdict = classifyIpAddress(address);
  if (!verdict) return { ok: false, reason: "is not an IP address" };
  const problem = addressProblem(verdict, policy);
  return problem ? { ok: false, reason: `is ${problem}` } : { ok: true };
}
