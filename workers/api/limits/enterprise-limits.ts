import type { Config } from "../env";
import { countPerAddress, countPerKey, type PerAddressLimit } from "./per-address";

/**
 * Layered limits of enterprise sign-in and provisioning (issue 18), beside the authenticated
 * /api/ layers of policies.ts, each a sliding window in the RateLimiter object of its key:
 *
 * - SSO start (the sign-in page sending an address to its company's IdP, or saying SSO is not set
 *   up for it): per client address, which bounds probing which domains have SSO (home-realm
 *   discovery answers differ by design); then per connection, so many addresses together cannot
 *   flood a tenant's IdP with authorization requests in our name.
 * - SSO callback (where the IdP sends the browser back, and the Worker redeems a code at the IdP):
 *   per client address.
 * - SCIM (/scim/v2): per client address before the bearer token is even looked up (an unknown
 *   token costs a database query), then per connection once the token names one: an IdP's sync
 *   gets its own allowance, and one tenant's runaway sync does not slow another's.
 *
 * The per-connection allowances are configuration (SSO_STARTS_PER_CONNECTION_PER_MINUTE,
 * SCIM_REQUESTS_PER_CONNECTION_PER_MINUTE) so a large tenant's can be raised.
 */
export const SSO_START_ADDRESS_LIMIT: PerAddressLimit = {
  name: "sso-start-ip",
  limit: 20,
  windowMs: 10 * 60_000,
  refusal: "Too many single sign-on attempts from this address; retry after Retry-After",
};

export const SSO_CALLBACK_ADDRESS_LIMIT: PerAddressLimit = {
  name: "sso-callback-ip",
  limit: 20,
  windowMs: 10 * 60_000,
  refusal: "Too many single sign-on answers from this address; retry after Retry-After",
};

export const SCIM_ADDRESS_LIMIT: PerAddressLimit = {
  name: "scim-ip",
  limit: 2400,
  windowMs: 60_000,
  refusal: "Too many SCIM requests from this address; retry after Retry-After",
};

export const ssoStartConnectionLimit = (config: Config): PerAddressLimit => ({
  name: "sso-start-connection",
  limit: config.limits.ssoStartsPerConnectionPerMinute,
  windowMs: 60_000,
  refusal: "Too many single sign-on attempts for this connection; retry after Retry-After",
});

export const scimConnectionLimit = (config: Config): PerAddressLimit => ({
  name: "scim-connection",
  limit: config.limits.scimRequestsPerConnectionPerMinute,
  windowMs: 60_000,
  refusal: "Too many SCIM requests for this connection; retry after Retry-After",
});

type Namespace = Env["RATE_LIMITER"];

/** One layer for the caller's address; the headers to answer with, or the RATE_LIMITED ApiError. */
export const countAddress = (ns: Namespace, config: Config, ip: string | null, policy: PerAddressLimit) =>
  config.rateLimitsEnabled
    ? countPerAddress(ns, config, ip, policy)
    : Promise.resolve<Record<string, string>>({});

/** One layer for a connection the caller proved (a SCIM token) or chose (the sign-in page). */
export const countConnection = (
  ns: Namespace,
  config: Config,
  connectionId: string,
  policy: PerAddressLimit,
) =>
  config.rateLimitsEnabled
    ? countPerKey(ns, config, `connection:${connectionId}`, policy, "connection")
    : Promise.resolve<Record<string, string>>({});
