import { importJWK, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { isRegionId, type RegionId } from "../../../regions/registry";
import type { Config } from "../env";
import { clientIp } from "../lib/client-ip";
import { TtlCache } from "../lib/ttl-cache";
import { keySetFor } from "./access-token";

/**
 * A request one region forwards to another arrives from the first region's Worker, so the home
 * region's `CF-Connecting-IP` names that Worker, not the client. The forwarding region states the
 * client's address in a short JWT signed with its own signing key; the home region believes it
 * only if it verifies against the forwarding region's published keys. A client cannot forge one,
 * so it cannot choose the address its per-IP limit counts (as it could with `X-Forwarded-For`).
 */
export const FORWARDED_CLIENT_HEADER = "Nexus-Forwarded-Client";
/** Set on requests one region forwards to another; a second hop means the regions disagree. */
export const FORWARDED_FROM_HEADER = "Nexus-Forwarded-From";
const TYPE = "fwd+jwt";
const LIFETIME_SECONDS = 60;

const claims = z.object({ ip: z.string().min(1).max(64) });

// Signing is ~1 ms of RSA: a client's assertion is reused for half its lifetime.
const signed = new TtlCache<string>((LIFETIME_SECONDS / 2) * 1000);
const verified = new TtlCache<string>((LIFETIME_SECONDS / 2) * 1000);
let signingKey: { kid: string; key: CryptoKey | Uint8Array } | undefined;

/** The assertion to send along to `target`, or undefined when this region cannot sign. */
export async function forwardedClientAssertion(
  config: Config,
  target: RegionId,
  ip: string | null,
): Promise<string | undefined> {
  const jwk = config.signingKey;
  if (!jwk || !ip) return undefined;
  const cacheKey = `${target} ${ip}`;
  const cached = signed.get(cacheKey);
  if (cached) return cached;
  if (signingKey?.kid !== jwk.kid) signingKey = { kid: jwk.kid, key: await importJWK(jwk, "RS256") };
  const assertion = await new SignJWT({ ip })
    .setProtectedHeader({ alg: "RS256", typ: TYPE, kid: jwk.kid })
    .setIssuer(config.regionUrls[config.region])
    .setAudience(config.regionUrls[target])
    .setIssuedAt()
    .setExpirationTime(`${LIFETIME_SECONDS}s`)
    .sign(signingKey.key);
  signed.set(cacheKey, assertion);
  return assertion;
}

/**
 * The client address a peer region asserted for this request, or null when there is no valid
 * assertion (then the caller uses `CF-Connecting-IP`, i.e. counts the peer's address).
 */
export async function forwardedClientIp(
  config: Config,
  from: string | undefined,
  assertion: string | undefined,
): Promise<string | null> {
  if (!from || !assertion || !isRegionId(from) || from === config.region || assertion.length > 4096) {
    return null;
  }
  const known = verified.get(assertion);
  if (known) return known;
  try {
    const { payload } = await jwtVerify(assertion, keySetFor(config, from), {
      algorithms: ["RS256"],
      typ: TYPE,
      issuer: config.regionUrls[from],
      audience: config.regionUrls[config.region],
      maxTokenAge: `${LIFETIME_SECONDS}s`,
      clockTolerance: 5,
    });
    const { ip } = claims.parse(payload);
    // Never trusted past its own expiry.
    verified.set(assertion, ip, Date.now(), Math.min(30_000, (payload.exp ?? 0) * 1000 - Date.now()));
    return ip;
  } catch {
    return null;
  }
}

/** The address a request's limits count under: as a peer region signed it, else CF-Connecting-IP. */
export async function clientAddress(config: Config, headers: Headers): Promise<string | null> {
  const asserted = await forwardedClientIp(
    config,
    headers.get(FORWARDED_FROM_HEADER) ?? undefined,
    headers.get(FORWARDED_CLIENT_HEADER) ?? undefined,
  );
  return asserted ?? clientIp(headers);
}
