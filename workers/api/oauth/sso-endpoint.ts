import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { html } from "hono/html";
import type { AppEnv } from "../app-env";
import { openSecret, sealSecret } from "../auth/credentials/secret-box";
import type { Rs256PrivateJwk } from "../auth/jwk";
import { ApiError } from "../lib/errors";
import { logError } from "../lib/log-error";
import { requestInfo } from "../lib/request-info";
import { serviceDatabase } from "../lib/service-context";
import {
  countAddress,
  countConnection,
  SSO_CALLBACK_ADDRESS_LIMIT,
  SSO_START_ADDRESS_LIMIT,
  ssoStartConnectionLimit,
} from "../limits/enterprise-limits";
import { recordSignIn } from "../services/identity/audit";
import { SSO_CALLBACK_PATH } from "../services/identity/sso-connections";
import {
  connectionsForEmail,
  loadConnection,
  type SsoConnectionConfig,
  signInWithClaims,
} from "../services/identity/sso-sign-in";
import { markSignedIn, userTenants } from "../services/identity/users";
import { finishAuthorization, type RelyingPartyInput, startAuthorization } from "../sso/relying-party";
import { refuse, selfOrigin, showError, showPage, tooMany } from "./authorize-endpoint";
import { type AuthorizeRequest, checkAuthorizeRequest, pickAuthorizeParams } from "./authorize-request";
import { randomToken } from "./encoding";
import { layout, pageHeaders } from "./pages/layout";
import { openValue, sealValue } from "./server-secret";

/**
 * Sign-in through a tenant's own identity provider (issue 18). The sign-in page sends an address
 * whose domain a tenant has verified to that tenant's connection (a chooser when it has
 * several); the IdP comes back to /oauth/sso/callback. The flow's secrets (PKCE verifier, state,
 * nonce) and the application's authorization request ride in an encrypted, HttpOnly cookie.
 *
 * The person an IdP signs in gets a ticket for that connection's tenant only, not a session:
 * a tenant's IdP vouches for its own members, never for what the same account may do in another
 * business.
 */
const FLOW_COOKIE = "nx_sso";
const FLOW_TTL_SECONDS = 10 * 60;
const TICKET_TTL_SECONDS = 10 * 60;
const FLOW_BINDING = "sso-flow";

const secure = (c: Context<AppEnv>) => selfOrigin(c).startsWith("https:");
const cookieName = (c: Context<AppEnv>) => (secure(c) ? `__Host-${FLOW_COOKIE}` : FLOW_COOKIE);

/** The same words whatever was wrong: nothing here says whether an account exists. */
const REFUSED =
  "Your company's identity provider signed you in, but that sign-in cannot be used here. Ask your administrator " +
  "to check the single sign-on set-up.";
const UNAVAILABLE = "Your company's identity provider cannot be reached right now. Try again in a moment.";

function relyingParty(c: Context<AppEnv>, connection: SsoConnectionConfig): RelyingPartyInput {
  return {
    cacheKey: `${connection.id}:${connection.updatedAt}`,
    issuer: connection.issuer,
    clientId: connection.clientId,
    clientSecret: connection.clientSecret,
    allowInsecure: c.get("config").localRuntime,
  };
}

const callbackUri = (c: Context<AppEnv>) => `${selfOrigin(c).replace(/\/+$/, "")}${SSO_CALLBACK_PATH}`;

/** Seconds to wait when a layer of limits/enterprise-limits.ts refused, else 0. */
async function refusedFor(count: () => Promise<unknown>): Promise<number> {
  try {
    await count();
    return 0;
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== "RATE_LIMITED") throw error;
    return Math.max(1, Number(error.headers["Retry-After"] ?? 60));
  }
}

function dataKeyOf(c: Context<AppEnv>): string | undefined {
  return c.get("config").dataEncryptionKey;
}

/**
 * The sign-in form asked for single sign-on (`sso=start`), or gave an address without a
 * password. A redirect to the IdP, the chooser, or, when the domain has no connection:
 * undefined if the user did not ask for SSO (the password path answers), else the page saying so.
 */
export async function startSso(
  c: Context<AppEnv>,
  key: Rs256PrivateJwk,
  request: AuthorizeRequest,
  email: string,
  chosen: string | undefined,
  asked: boolean,
): Promise<Response | undefined> {
  const config = c.get("config");
  const ip = requestInfo(c).ip;
  // Every start counts for the address, routed or not: the answers tell domains with SSO apart.
  const addressWait = await refusedFor(() =>
    countAddress(c.env.RATE_LIMITER, config, ip, SSO_START_ADDRESS_LIMIT),
  );
  if (addressWait > 0) return tooMany(c, key, request, addressWait);
  const db = serviceDatabase(c);
  const dataKey = dataKeyOf(c);
  const connections = email && dataKey ? await connectionsForEmail(db, email) : [];
  if (connections.length === 0) {
    if (!asked) return undefined;
    return showPage(
      c,
      key,
      request,
      { kind: "credentials", email },
      200,
      email
        ? "Single sign-on is not set up for this e-mail address's domain. Sign in with your password."
        : "Enter your work e-mail to sign in with single sign-on.",
    );
  }
  const pick = chosen ? connections.find((x) => x.connection_id === chosen) : undefined;
  if (!pick && connections.length > 1) {
    const options = connections.map((x) => ({ id: x.connection_id, name: x.connection_name }));
    return showPage(c, key, request, { kind: "sso_chooser", email, connections: options });
  }
  const target = pick ?? connections[0];
  const connection = target ? await loadConnection(db, dataKey, target.connection_id) : undefined;
  if (!connection || !dataKey) return showError(c, UNAVAILABLE, 503);
  const connectionWait = await refusedFor(() =>
    countConnection(c.env.RATE_LIMITER, config, connection.id, ssoStartConnectionLimit(config)),
  );
  if (connectionWait > 0) return tooMany(c, key, request, connectionWait);
  let start: Awaited<ReturnType<typeof startAuthorization>>;
  try {
    start = await startAuthorization(relyingParty(c, connection), {
      redirectUri: callbackUri(c),
      scopes: connection.scopes,
      loginHint: email,
    });
  } catch (error) {
    logError("sso discovery failed", c.get("requestId"), error);
    return showError(c, UNAVAILABLE, 503);
  }
  const flow = {
    cid: connection.id,
    v: start.codeVerifier,
    s: start.state,
    n: start.nonce,
    p: request.params,
    exp: Math.floor(Date.now() / 1000) + FLOW_TTL_SECONDS,
  };
  const sealed = await sealSecret(dataKey, JSON.stringify(flow), FLOW_BINDING);
  setCookie(c, cookieName(c), sealed, {
    httpOnly: true,
    secure: secure(c),
    // Lax: the IdP's redirect back is a top-level GET from another site, which Lax lets through.
    sameSite: "Lax",
    path: "/",
    maxAge: FLOW_TTL_SECONDS,
  });
  return continueTo(c, connection.name, start.url.href);
}

/**
 * Not a 303: the sign-in page's CSP names the form's targets (Chromium applies form-action to a
 * redirect after a post), and the IdP is known only now. A `Refresh` navigation is not a form
 * submission, so it leaves the page's CSP as strict as it is; the link is for anything that
 * ignores the header.
 */
function continueTo(c: Context<AppEnv>, name: string, href: string) {
  const nonce = randomToken(16);
  const body = layout(
    "Single sign-on",
    nonce,
    html`<h1>Single sign-on</h1>
      <p>Continuing to <strong>${name}</strong>…</p>
      <p><a href="${href}" id="continue">Continue to your company's sign-in page</a></p>`,
  );
  return c.html(body, 200, { ...pageHeaders(nonce), Refresh: `0;url=${href}` });
}

interface Flow {
  cid: string;
  v: string;
  s: string;
  n: string;
  p: Record<string, string>;
  exp: number;
}

async function readFlow(c: Context<AppEnv>): Promise<Flow | undefined> {
  const sealed = getCookie(c, cookieName(c));
  const dataKey = dataKeyOf(c);
  if (!sealed || !dataKey || sealed.length > 8192) return undefined;
  try {
    const flow = JSON.parse(await openSecret(dataKey, sealed, FLOW_BINDING)) as Flow;
    return typeof flow.exp === "number" && flow.exp > Date.now() / 1000 ? flow : undefined;
  } catch {
    return undefined;
  }
}

export interface SsoTicket {
  uid: string;
  tid: string;
  at: string;
}

export function sealSsoTicket(key: Rs256PrivateJwk, ticket: SsoTicket): Promise<string> {
  return sealValue(key, "sso", ticket, TICKET_TTL_SECONDS);
}

export async function openSsoTicket(key: Rs256PrivateJwk, sealed: string): Promise<SsoTicket | undefined> {
  const value = await openValue(key, "sso", sealed);
  return typeof value?.uid === "string" && typeof value.tid === "string" && typeof value.at === "string"
    ? { uid: value.uid, tid: value.tid, at: value.at }
    : undefined;
}

/** GET /oauth/sso/callback: the IdP's answer. Verified, then the consent step for the tenant. */
export async function ssoCallback(c: Context<AppEnv>): Promise<Response> {
  const key = c.get("config").signingKey;
  if (!key) return showError(c, "Sign-in is not available in this region right now.", 503);
  const wait = await refusedFor(() =>
    countAddress(c.env.RATE_LIMITER, c.get("config"), requestInfo(c).ip, SSO_CALLBACK_ADDRESS_LIMIT),
  );
  if (wait > 0) {
    // The flow cookie stays: once the wait is over, the same answer can still be taken.
    c.header("Retry-After", String(wait));
    return showError(c, "Too many sign-in attempts from this address. Try again in a moment.", 429);
  }
  const flow = await readFlow(c);
  // One use: whatever happens next, this flow's state and verifier are gone.
  deleteCookie(c, cookieName(c), { path: "/", secure: secure(c) });
  if (!flow)
    return showError(
      c,
      "This sign-in took too long or was already used. Start again from the application.",
      400,
    );
  const db = serviceDatabase(c);
  const check = await checkAuthorizeRequest(db, pickAuthorizeParams(flow.p), selfOrigin(c));
  if (!check.ok) return refuse(c, check);
  const request = check.request;
  const connection = await loadConnection(db, dataKeyOf(c), flow.cid);
  if (!connection) return showPage(c, key, request, { kind: "credentials" }, 403, REFUSED);
  const info = requestInfo(c);

  const incoming = new URL(c.req.url);
  const callbackUrl = new URL(`${callbackUri(c)}${incoming.search}`);
  let claims: Record<string, unknown>;
  try {
    claims = await finishAuthorization(relyingParty(c, connection), callbackUrl, {
      codeVerifier: flow.v,
      state: flow.s,
      nonce: flow.n,
    });
  } catch (error) {
    logError("sso callback did not verify", c.get("requestId"), error);
    await recordSignIn(db, null, "failure", info, { method: "sso", reason: "idp_response_invalid" });
    return showPage(c, key, request, { kind: "credentials" }, 403, REFUSED);
  }
  const outcome = await signInWithClaims(db, connection, claims, info);
  if (!outcome.ok) {
    await recordSignIn(db, null, "failure", info, { method: "sso", reason: outcome.reason });
    return showPage(c, key, request, { kind: "credentials" }, 403, REFUSED);
  }
  await markSignedIn(db, outcome.user.id);
  const authTime = new Date().toISOString();
  const ticket = await sealSsoTicket(key, { uid: outcome.user.id, tid: connection.tenantId, at: authTime });
  const [tenant] = (await userTenants(db, outcome.user.id)).filter(
    (t) =>
      t.tenant_id === connection.tenantId &&
      (request.client.tenantId === null || request.client.tenantId === t.tenant_id),
  );
  if (!tenant) {
    return showError(c, "Your account is not an active member of a business this application can use.", 403);
  }
  return showPage(c, key, request, {
    kind: "consent",
    userName: outcome.user.name,
    tenants: [{ id: tenant.tenant_id, name: tenant.tenant_name }],
    ssoTicket: ticket,
  });
}
