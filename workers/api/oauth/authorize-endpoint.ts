import type { Context } from "hono";
import type { Database } from "../../../db/client";
import { REGION_IDS, REGIONS, type RegionId } from "../../../regions/registry";
import type { AppEnv } from "../app-env";
import type { Rs256PrivateJwk } from "../auth/jwk";
import { logError } from "../lib/log-error";
import { requestInfo } from "../lib/request-info";
import { serviceDatabase } from "../lib/service-context";
import { sendAfterCommit } from "../mail/mail-delivery";
import { recordSignIn } from "../services/identity/audit";
import { issueCode } from "../services/identity/grants";
import {
  answerInvitation,
  type InvitationAnswer,
  pendingInvitations,
} from "../services/identity/invitations";
import { smsAllowedFor } from "../services/identity/mfa-sms";
import {
  checkSignInCode,
  mfaRequiredFor,
  ONE_TIME_CODE_SHAPE,
  ONE_TIME_CODE_TTL_SECONDS,
  sendEmailCode,
  sendSmsCode,
} from "../services/identity/one-time-codes";
import { createSession, resumeSession } from "../services/identity/sessions";
import { checkPassword, checkSecondFactor } from "../services/identity/sign-in";
import { findUserById, markSignedIn, type SignInUser, userTenants } from "../services/identity/users";
import { SmsError } from "../sms/sms-port";
import { smsSenderOf } from "../sms/sms-sender";
import {
  type AuthorizeCheck,
  type AuthorizeRequest,
  checkAuthorizeRequest,
  pickAuthorizeParams,
} from "./authorize-request";
import { csrfTokenFor, csrfValid, postedFromOwnPage, readSessionCookie, writeSessionCookie } from "./cookies";
import { randomToken } from "./encoding";
import { errorPage } from "./pages/error-page";
import { pageHeaders } from "./pages/layout";
import { type SignInStep, signInPage } from "./pages/sign-in-page";
import { redirectWith } from "./redirect-uri";
import { openValue, sealValue } from "./server-secret";
import { settleSignIn, throttleSignIn } from "./sign-in-throttle";
import { openSsoTicket, startSso } from "./sso-endpoint";

const MFA_TICKET_TTL_SECONDS = 5 * 60;
/**
 * The same words for an unknown account, a wrong password and an account without one. Accounts
 * live in their business's region, so someone at the wrong region's page is told where else to
 * look, whichever it was.
 */
function wrongCredentials(region: RegionId): string {
  const others = REGION_IDS.filter((id) => id !== region).map((id) => REGIONS[id].name);
  return (
    `The email or password is not right. Accounts belong to the region their business is in; this is ` +
    `${REGIONS[region].name}. If your business is in ${others.join(" or ")}, its accounts are there: sign in ` +
    "through that region."
  );
}

type Status = 200 | 400 | 401 | 403 | 429 | 503;

function issuer(c: Context<AppEnv>): string {
  const config = c.get("config");
  return config.regionUrls[config.region];
}

export function showError(c: Context<AppEnv>, message: string, status: Status) {
  const nonce = randomToken(16);
  return c.html(errorPage(message, nonce), status, pageHeaders(nonce));
}

export async function showPage(
  c: Context<AppEnv>,
  key: Rs256PrivateJwk,
  request: AuthorizeRequest,
  step: SignInStep,
  status: Status = 200,
  error?: string,
  extraHeaders: Record<string, string> = {},
) {
  const nonce = randomToken(16);
  const csrfToken = await csrfTokenFor(c, key);
  const page = signInPage({ request, csrfToken, step, nonce, ...(error === undefined ? {} : { error }) });
  const headers = { ...pageHeaders(nonce, [new URL(request.redirectUri).origin]), ...extraHeaders };
  return c.html(page, status, headers);
}

/** RFC 6749 §4.1.2 with RFC 9207's `iss`; 303 so the browser follows a POST with a GET. */
function redirectBack(c: Context<AppEnv>, redirectUri: string, params: Record<string, string | undefined>) {
  c.header("Cache-Control", "no-store");
  return c.redirect(redirectWith(redirectUri, { ...params, iss: issuer(c) }), 303);
}

export function refuse(c: Context<AppEnv>, check: Exclude<AuthorizeCheck, { ok: true }>) {
  if (check.display === "page") return showError(c, check.message, 400);
  return redirectBack(c, check.redirectUri, {
    error: check.error,
    error_description: check.description,
    state: check.state,
  });
}

function signingKey(c: Context<AppEnv>): Rs256PrivateJwk | undefined {
  return c.get("config").signingKey;
}

/** The tenants this request may be granted for: the user's, narrowed to the client's own tenant. */
async function grantableTenants(db: Database, user: SignInUser, request: AuthorizeRequest) {
  const all = await userTenants(db, user.id);
  return all
    .filter((t) => request.client.tenantId === null || t.tenant_id === request.client.tenantId)
    .map((t) => ({ id: t.tenant_id, name: t.tenant_name }));
}

const INVITATION_ANSWER =
  /^(accept|decline):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

function invitationAnswer(value: string | undefined): InvitationAnswer | undefined {
  const match = value === undefined ? null : INVITATION_ANSWER.exec(value);
  return match?.[2] ? { tenantId: match[2], accept: match[1]?.toLowerCase() === "accept" } : undefined;
}

/**
 * A signed-in user's pending invitations come before the application's request: each accepted
 * or declined, or all left for later in this flow. Undefined: none to show.
 */
async function invitationsStep(db: Database, user: SignInUser, later: boolean) {
  if (later) return undefined;
  const pending = await pendingInvitations(db, user.id);
  if (pending.length === 0) return undefined;
  const invitations = pending.map((i) => ({
    tenantId: i.tenant_id,
    tenantName: i.tenant_name,
    roleName: i.role_name,
  }));
  return { kind: "invitations", userName: user.name, invitations } as const;
}

/** GET /oauth/authorize: validate, then the sign-in page (or consent, with a live session). */
export async function showAuthorize(c: Context<AppEnv>) {
  const key = signingKey(c);
  if (!key) return showError(c, "Sign-in is not available in this region right now.", 503);
  const db = serviceDatabase(c);
  const check = await checkAuthorizeRequest(db, pickAuthorizeParams(c.req.query()), selfOrigin(c));
  if (!check.ok) return refuse(c, check);
  const session = await resumeSession(db, readSessionCookie(c));
  const user = session ? await findUserById(db, session.userId) : undefined;
  if (user) {
    const invitations = await invitationsStep(db, user, false);
    if (invitations) return showPage(c, key, check.request, invitations);
    const tenants = await grantableTenants(db, user, check.request);
    return showPage(c, key, check.request, { kind: "consent", userName: user.name, tenants });
  }
  return showPage(c, key, check.request, { kind: "credentials" });
}

/** POST /oauth/authorize: the form's answer: credentials, the MFA code, or consent. */
export async function submitAuthorize(c: Context<AppEnv>) {
  const key = signingKey(c);
  if (!key) return showError(c, "Sign-in is not available in this region right now.", 503);
  const type = c.req.header("Content-Type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")) {
    return showError(c, "The form was not sent as a form.", 400);
  }
  // Another site's form is refused outright (the CSRF token would fail too, this just says so
  // earlier and plainly).
  if (!postedFromOwnPage(c)) return showError(c, "This form was sent from another site.", 403);
  const form = await c.req.parseBody();
  if (!(await csrfValid(c, key, form.csrf_token))) {
    return showError(c, "This page has expired. Go back to the application and start again.", 403);
  }
  const db = serviceDatabase(c);
  const check = await checkAuthorizeRequest(db, pickAuthorizeParams(form), selfOrigin(c));
  if (!check.ok) return refuse(c, check);
  const request = check.request;
  const text = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : undefined);

  if (text("consent") === "deny") {
    return redirectBack(c, request.redirectUri, {
      error: "access_denied",
      error_description: "The user declined",
      state: request.state,
    });
  }

  const info = requestInfo(c);
  let user: SignInUser | undefined;
  let signedInNow = false;
  let authTime = new Date().toISOString();

  const mfaTicket = text("mfa_ticket");
  const email = text("email")?.trim();
  const password = text("password");
  // Enterprise sign-in: asked for, or an address without a password (identifier first).
  const ssoTicketField = text("sso_ticket");
  const askedSso = text("sso") === "start";
  if (askedSso || (email && !password && mfaTicket === undefined && ssoTicketField === undefined)) {
    const routed = await startSso(c, key, request, email ?? "", text("sso_connection"), askedSso);
    if (routed) return routed;
  }
  const sso = ssoTicketField === undefined ? undefined : await openSsoTicket(key, ssoTicketField);
  if (ssoTicketField !== undefined) {
    user = sso ? await findUserById(db, sso.uid) : undefined;
    if (!sso || !user) {
      return showPage(
        c,
        key,
        request,
        { kind: "credentials" },
        400,
        "Your sign-in took too long. Sign in again.",
      );
    }
    authTime = sso.at;
  } else if (mfaTicket !== undefined) {
    const ticket = await openValue(key, "mfa", mfaTicket);
    const pending = typeof ticket?.uid === "string" ? await findUserById(db, ticket.uid) : undefined;
    if (!pending) {
      return showPage(
        c,
        key,
        request,
        { kind: "credentials" },
        400,
        "Your sign-in took too long. Sign in again.",
      );
    }
    const factors = await secondFactorsOf(db, pending);
    const step = { kind: "mfa", ticket: mfaTicket, email: factors.email, sms: factors.sms } as const;
    if (text("resend") === "email" && factors.email) {
      return showPage(c, key, request, step, 200, await emailSignInCode(c, db, pending));
    }
    if (text("resend") === "sms" && factors.sms) {
      return showPage(c, key, request, step, 200, await smsSignInCode(c, db, pending));
    }
    const throttle = await throttleSignIn(c.env.RATE_LIMITER, c.get("config"), info.ip, pending.email);
    if (!throttle.allowed) return tooMany(c, key, request, throttle.retryAfterSeconds);
    const entered = (text("totp") ?? "").replace(/\s/g, "");
    const dataKey = c.get("config").dataEncryptionKey;
    const result = ONE_TIME_CODE_SHAPE.test(entered)
      ? factors.sms && (await checkSignInCode(db, dataKey, pending.id, entered, "sms")) === "ok"
        ? "sms_code"
        : factors.email && (await checkSignInCode(db, dataKey, pending.id, entered, "email")) === "ok"
          ? "email_code"
          : "invalid"
      : await checkSecondFactor(db, pending, entered, dataKey);
    if (result === "invalid" || result === "replayed") {
      await recordSignIn(db, pending.id, "failure", info, { reason: `mfa_${result}` });
      return showPage(
        c,
        key,
        request,
        step,
        401,
        factors.sms
          ? "That code is not valid. Enter the newest code we texted you, or ask for a new one."
          : factors.email
            ? "That code is not valid. Enter the newest code we e-mailed you, or ask for a new one."
            : "That code is not valid. Enter the current code from your app.",
      );
    }
    user = pending;
    signedInNow = true;
    await recordSignIn(db, user.id, "success", info, {
      method:
        result === "ok"
          ? "password+totp"
          : result === "email_code" || result === "sms_code"
            ? `password+${result}`
            : "password+recovery_code",
    });
  } else if (email !== undefined || password !== undefined) {
    if (!email || !password) {
      return showPage(
        c,
        key,
        request,
        { kind: "credentials", email: email ?? "" },
        400,
        "Enter your email and password.",
      );
    }
    // Counted as a failure already; taken back below if it is not one.
    const throttle = await throttleSignIn(c.env.RATE_LIMITER, c.get("config"), info.ip, email);
    if (!throttle.allowed) return tooMany(c, key, request, throttle.retryAfterSeconds);
    const checked = await checkPassword(db, email, password);
    if (!checked.user) {
      await recordSignIn(db, checked.knownUserId, "failure", info, { reason: "bad_credentials" });
      return showPage(
        c,
        key,
        request,
        { kind: "credentials", email },
        401,
        wrongCredentials(c.get("config").region),
      );
    }
    const factors = await secondFactorsOf(db, checked.user);
    if (factors.totp || factors.email || factors.sms) {
      await settleSignIn(c.env.RATE_LIMITER, c.get("config"), info.ip, email, "second_factor");
      const ticket = await sealValue(key, "mfa", { uid: checked.user.id }, MFA_TICKET_TTL_SECONDS);
      // Without an app, the code comes by text (or e-mail) at once; with one, only when asked for.
      const notice = factors.totp
        ? undefined
        : factors.sms
          ? await smsSignInCode(c, db, checked.user)
          : await emailSignInCode(c, db, checked.user);
      const step = { kind: "mfa", ticket, email: factors.email, sms: factors.sms } as const;
      return showPage(c, key, request, step, 200, notice);
    }
    user = checked.user;
    signedInNow = true;
    await recordSignIn(db, user.id, "success", info, { method: "password" });
  } else {
    const session = await resumeSession(db, readSessionCookie(c));
    user = session ? await findUserById(db, session.userId) : undefined;
    if (!session || !user)
      return showPage(c, key, request, { kind: "credentials" }, 401, "Sign in to continue.");
    // OIDC auth_time: when the user last proved who they are, not this consent.
    authTime = session.createdAt;
  }

  if (signedInNow) {
    await settleSignIn(c.env.RATE_LIMITER, c.get("config"), info.ip, user.email, "signed_in");
    const { cookie, session } = await createSession(db, user.id);
    writeSessionCookie(c, cookie);
    authTime = session.createdAt;
    await markSignedIn(db, user.id);
  }

  const answer = invitationAnswer(text("invitation"));
  if (answer) await answerInvitation(db, user.id, answer, info);
  const later = text("invitations") === "later";
  // An identity provider's sign-in is for its tenant alone: other invitations wait for a password one.
  const invitations = await invitationsStep(db, user, later || sso !== undefined);
  if (invitations) return showPage(c, key, request, invitations);

  const tenants = (await grantableTenants(db, user, request)).filter((t) => !sso || t.id === sso.tid);
  if (tenants.length === 0) {
    return showError(c, "Your account is not an active member of a business this application can use.", 403);
  }
  const consentStep = {
    kind: "consent",
    userName: user.name,
    tenants,
    invitationsLater: later,
    ...(ssoTicketField === undefined ? {} : { ssoTicket: ssoTicketField }),
  } as const;
  if (text("consent") !== "approve") return showPage(c, key, request, consentStep);
  const chosen = text("tenant") ?? (tenants.length === 1 ? tenants[0]?.id : undefined);
  if (!chosen || !tenants.some((t) => t.id === chosen)) {
    return showPage(c, key, request, consentStep, 400, "Choose the business to use.");
  }

  const code = await issueCode(db, {
    tenantId: chosen,
    clientId: request.client.id,
    userId: user.id,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    scope: request.scope.join(" "),
    nonce: request.nonce,
    authTime,
  });
  return redirectBack(c, request.redirectUri, { code, state: request.state });
}

/**
 * The second factors this user signs in with: TOTP once enrolled; e-mailed codes once enabled,
 * and also when one of their businesses requires MFA of them and they have no app yet (the
 * address is theirs: their invitation or reset came to it), so a policy never locks anyone out.
 */
async function secondFactorsOf(
  db: Database,
  user: SignInUser,
): Promise<{ totp: boolean; email: boolean; sms: boolean }> {
  const totp = user.mfa_enabled;
  // SMS counts while a business of theirs allows it (a tenant that turns allow_sms off ends it).
  const sms = user.sms_otp_enabled && user.phone_number !== null && (await smsAllowedFor(db, user.id));
  const email = user.email_otp_enabled || (!totp && !sms && (await mfaRequiredFor(db, user.id)));
  return { totp, email, sms };
}

/** Texts a sign-in code (throttled like e-mailed ones); answers the words for the page. */
async function smsSignInCode(c: Context<AppEnv>, db: Database, user: SignInUser): Promise<string> {
  const config = c.get("config");
  const sender = smsSenderOf(config.sms);
  const phone = user.phone_number;
  if (!sender || !phone)
    return "Text messages cannot be sent right now. Use another way to sign in, or try later.";
  try {
    const outcome = await sendSmsCode(db, config.dataEncryptionKey, sender, { id: user.id, phone });
    if (!outcome.sent)
      return `A code was sent a moment ago. You can ask for another in ${wait(outcome.retryAfterSeconds)}.`;
  } catch (error) {
    if (!(error instanceof SmsError)) throw error;
    logError("sms code not sent", c.get("requestId"), error);
    return "We could not send a text message just now. Ask for a new code in a moment.";
  }
  return `We texted an 8-digit code to ${maskedPhone(phone)}. It expires in ${ONE_TIME_CODE_TTL_SECONDS / 60} minutes.`;
}

/** +234•••••4567: enough to recognise the number. */
const maskedPhone = (phone: string) => `${phone.slice(0, 4)}•••••${phone.slice(-4)}`;

const wait = (seconds: number) =>
  seconds < 120 ? plural(seconds, "second") : plural(Math.ceil(seconds / 60), "minute");

/** Sends a sign-in code (throttled); answers the words for the page. */
async function emailSignInCode(c: Context<AppEnv>, db: Database, user: SignInUser): Promise<string> {
  const config = c.get("config");
  const outcome = await sendEmailCode(db, config.dataEncryptionKey, user, config.mail.defaultLocale);
  if (!outcome.sent) {
    return `A code was sent a moment ago. You can ask for another in ${wait(outcome.retryAfterSeconds)}.`;
  }
  sendAfterCommit(c, [outcome.mailId]);
  return `We e-mailed an 8-digit code to ${maskedEmail(user.email)}. It expires in ${ONE_TIME_CODE_TTL_SECONDS / 60} minutes.`;
}

/** j•••@example.com: enough to recognise the address, not to learn it from the page. */
const maskedEmail = (email: string) => {
  const at = email.lastIndexOf("@");
  return at > 0 ? `${email[0]}•••${email.slice(at)}` : "your address";
};

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

export function tooMany(
  c: Context<AppEnv>,
  key: Rs256PrivateJwk,
  request: AuthorizeRequest,
  retryAfter: number,
) {
  return showPage(
    c,
    key,
    request,
    { kind: "credentials" },
    429,
    `Too many sign-in attempts. Try again in ${wait(retryAfter)}.`,
    { "Retry-After": String(retryAfter) },
  );
}

/** This region's public origin, against which path-registered redirect URIs (`/docs`) resolve. */
export function selfOrigin(c: Context<AppEnv>): string {
  const config = c.get("config");
  return config.regionUrls[config.region];
}
