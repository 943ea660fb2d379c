import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { hashPassword } from "../auth/credentials/password";
import { checkPasswordPolicy } from "../auth/credentials/password-policy";
import type { Rs256PrivateJwk } from "../auth/jwk";
import { announceRevocations, revokedFamilies } from "../auth/revocation-list";
import { requestInfo } from "../lib/request-info";
import { deferOf, serviceDatabase } from "../lib/service-context";
import { sendAfterCommit } from "../mail/mail-delivery";
import { queueMailStatement } from "../mail/mail-outbox";
import type { MailLocale } from "../mail/templates";
import {
  ACCOUNT_TOKEN_TTL_SECONDS,
  findAccountToken,
  invitationDetails,
  linkFor,
  newAccountToken,
  redeemInvitation,
  redeemPasswordReset,
} from "../services/identity/account-tokens";
import { answerInvitation } from "../services/identity/invitations";
import { limitAccountPage } from "./account-limits";
import { csrfTokenFor, csrfValid, postedFromOwnPage } from "./cookies";
import { randomToken } from "./encoding";
import {
  accountDonePage,
  forgotPage,
  forgotSentPage,
  invitationPage,
  linkUnusablePage,
  resetPage,
} from "./pages/account-pages";
import { errorPage } from "./pages/error-page";
import { pageHeaders } from "./pages/layout";

type Status = 200 | 400 | 403 | 410 | 429 | 503;
type Page = ReturnType<typeof forgotPage>;

function respond(
  c: Context<AppEnv>,
  render: (nonce: string) => Page,
  status: Status = 200,
  extra: Record<string, string> = {},
) {
  const nonce = randomToken(16);
  return c.html(render(nonce), status, { ...pageHeaders(nonce), ...extra });
}

const unavailable = (c: Context<AppEnv>) =>
  respond(c, (nonce) => errorPage("This page is not available in this region right now.", nonce), 503);

/** Only a path back to this region's own sign-in page: never an open redirect. */
function safeReturnTo(value: unknown): string | undefined {
  return typeof value === "string" && value.startsWith("/oauth/authorize?") && value.length <= 4096
    ? value
    : undefined;
}

/** The e-mail's language: what the browser asks for, else the region's default. */
function mailLocale(c: Context<AppEnv>): MailLocale {
  const wanted = c.req.header("Accept-Language")?.trim().toLowerCase() ?? "";
  if (wanted.startsWith("fr")) return "fr";
  if (wanted.startsWith("en")) return "en";
  return c.get("config").mail.defaultLocale;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
const waitWords = (seconds: number) =>
  seconds < 120 ? plural(seconds, "second") : plural(Math.ceil(seconds / 60), "minute");

/** The checks every account form passes first: a form, from our own page, with a valid CSRF field. */
async function readForm(
  c: Context<AppEnv>,
  key: Rs256PrivateJwk,
): Promise<{ ok: true; text: (name: string) => string | undefined } | { ok: false; response: Response }> {
  const type = c.req.header("Content-Type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")) {
    return {
      ok: false,
      response: await respond(c, (n) => errorPage("The form was not sent as a form.", n), 400),
    };
  }
  if (!postedFromOwnPage(c)) {
    return {
      ok: false,
      response: await respond(c, (n) => errorPage("This form was sent from another site.", n), 403),
    };
  }
  const form = await c.req.parseBody();
  if (!(await csrfValid(c, key, form.csrf_token))) {
    return {
      ok: false,
      response: await respond(c, (n) => errorPage("This page has expired. Open the link again.", n), 403),
    };
  }
  return { ok: true, text: (name) => (typeof form[name] === "string" ? (form[name] as string) : undefined) };
}

/** The new password's checks, in words for the page; null when it may be used. */
function passwordProblem(password: string | undefined, confirm: string | undefined): string | null {
  if (!password) return "Choose a password.";
  if (password !== confirm) return "The two passwords are not the same.";
  return checkPasswordPolicy(password);
}

const Email = z.email().max(320);

/** GET /oauth/forgot */
export async function showForgot(c: Context<AppEnv>) {
  const key = c.get("config").signingKey;
  if (!key) return unavailable(c);
  const csrfToken = await csrfTokenFor(c, key);
  const returnTo = safeReturnTo(c.req.query("return_to"));
  return respond(c, (nonce) => forgotPage({ nonce, csrfToken, returnTo }));
}

/**
 * POST /oauth/forgot: the same statements run, and the same page answers, whether or not an
 * account uses the address; the e-mail leaves after the response, so its cost is not timed.
 */
export async function submitForgot(c: Context<AppEnv>) {
  const config = c.get("config");
  const key = config.signingKey;
  if (!key) return unavailable(c);
  const form = await readForm(c, key);
  if (!form.ok) return form.response;
  const returnTo = safeReturnTo(form.text("return_to"));
  const email = form.text("email")?.trim() ?? "";
  if (!Email.safeParse(email).success) {
    const csrfToken = await csrfTokenFor(c, key);
    return respond(
      c,
      (nonce) =>
        forgotPage({ nonce, csrfToken, email, returnTo, error: "Enter the email address of your account." }),
      400,
    );
  }
  const wait = await limitAccountPage(c.env.RATE_LIMITER, config, requestInfo(c).ip, "forgot", email);
  if (wait > 0) {
    const csrfToken = await csrfTokenFor(c, key);
    return respond(
      c,
      (nonce) =>
        forgotPage({
          nonce,
          csrfToken,
          email,
          returnTo,
          error: `Too many requests. Try again in ${waitWords(wait)}.`,
        }),
      429,
      { "Retry-After": String(wait) },
    );
  }
  const account = sql`lower(u.email) = lower(${email}) and not u.is_deleted`;
  const link = await newAccountToken("password_reset", account, null);
  const minutes = ACCOUNT_TOKEN_TTL_SECONDS.password_reset / 60;
  const queued = await queueMailStatement(
    config.dataEncryptionKey,
    {
      template: "password_reset",
      locale: mailLocale(c),
      to: email,
      values: {
        link: linkFor(config.regionUrls[config.region], "password_reset", link.token),
        expires_minutes: minutes,
      },
    },
    sql`exists (select 1 from users u where ${account})`,
  );
  const db = serviceDatabase(c);
  const [first, ...rest] = [...link.statements, queued.statement].map((s) => db.execute(s));
  if (first) await db.batch([first, ...rest]);
  sendAfterCommit(c, [queued.id]);
  return respond(c, (nonce) => forgotSentPage({ nonce, returnTo, minutes }));
}

/** GET /oauth/reset?token=… */
export async function showReset(c: Context<AppEnv>) {
  const key = c.get("config").signingKey;
  if (!key) return unavailable(c);
  const token = c.req.query("token");
  const found = await findAccountToken(serviceDatabase(c), "password_reset", token);
  if (!found || !token)
    return respond(c, (nonce) => linkUnusablePage({ nonce, purpose: "password_reset" }), 410);
  const csrfToken = await csrfTokenFor(c, key);
  return respond(c, (nonce) => resetPage({ nonce, csrfToken, token, email: found.email }));
}

/** POST /oauth/reset: the new password; every session and refresh token of the user ends. */
export async function submitReset(c: Context<AppEnv>) {
  const config = c.get("config");
  const key = config.signingKey;
  if (!key) return unavailable(c);
  const form = await readForm(c, key);
  if (!form.ok) return form.response;
  const wait = await limitAccountPage(c.env.RATE_LIMITER, config, requestInfo(c).ip, "redeem");
  if (wait > 0) {
    return respond(c, (n) => errorPage(`Too many attempts. Try again in ${waitWords(wait)}.`, n), 429, {
      "Retry-After": String(wait),
    });
  }
  const db = serviceDatabase(c);
  const token = form.text("token") ?? "";
  const found = await findAccountToken(db, "password_reset", token);
  if (!found) return respond(c, (nonce) => linkUnusablePage({ nonce, purpose: "password_reset" }), 410);
  const problem = passwordProblem(form.text("password"), form.text("password_confirm"));
  if (problem) {
    const csrfToken = await csrfTokenFor(c, key);
    return respond(
      c,
      (nonce) => resetPage({ nonce, csrfToken, token, email: found.email, error: problem }),
      400,
    );
  }
  const redeemed = await redeemPasswordReset(db, token, await hashPassword(form.text("password") ?? ""));
  if (!redeemed) return respond(c, (nonce) => linkUnusablePage({ nonce, purpose: "password_reset" }), 410);
  await announceRevocations(config, revokedFamilies(redeemed.revokedFamilies), deferOf(c));
  return respond(c, (nonce) =>
    accountDonePage({
      nonce,
      heading: "Password changed",
      message: "Your new password is saved, and this account is signed out everywhere.",
    }),
  );
}

async function invitationView(c: Context<AppEnv>, token: string | undefined) {
  const db = serviceDatabase(c);
  const found = await findAccountToken(db, "invitation", token);
  if (!found?.tenant_id) return null;
  const details = await invitationDetails(db, found.tenant_id, found.user_id);
  return details ? { ...found, tenantId: found.tenant_id, ...details } : null;
}

/** GET /oauth/invitation?token=… */
export async function showInvitation(c: Context<AppEnv>) {
  const key = c.get("config").signingKey;
  if (!key) return unavailable(c);
  const token = c.req.query("token");
  const view = await invitationView(c, token);
  if (!view || !token) return respond(c, (nonce) => linkUnusablePage({ nonce, purpose: "invitation" }), 410);
  const csrfToken = await csrfTokenFor(c, key);
  return respond(c, (nonce) =>
    invitationPage({
      nonce,
      csrfToken,
      token,
      email: view.email,
      tenantName: view.tenant_name,
      roleName: view.role_name,
      hasPassword: view.has_password,
    }),
  );
}

/** POST /oauth/invitation: sets the password (accounts without one) and joins. */
export async function submitInvitation(c: Context<AppEnv>) {
  const config = c.get("config");
  const key = config.signingKey;
  if (!key) return unavailable(c);
  const form = await readForm(c, key);
  if (!form.ok) return form.response;
  const wait = await limitAccountPage(c.env.RATE_LIMITER, config, requestInfo(c).ip, "redeem");
  if (wait > 0) {
    return respond(c, (n) => errorPage(`Too many attempts. Try again in ${waitWords(wait)}.`, n), 429, {
      "Retry-After": String(wait),
    });
  }
  const token = form.text("token") ?? "";
  const view = await invitationView(c, token);
  if (!view) return respond(c, (nonce) => linkUnusablePage({ nonce, purpose: "invitation" }), 410);
  let passwordHash: string | null = null;
  if (!view.has_password) {
    const problem = passwordProblem(form.text("password"), form.text("password_confirm"));
    if (problem) {
      const csrfToken = await csrfTokenFor(c, key);
      return respond(
        c,
        (nonce) =>
          invitationPage({
            nonce,
            csrfToken,
            token,
            email: view.email,
            tenantName: view.tenant_name,
            roleName: view.role_name,
            hasPassword: false,
            error: problem,
          }),
        400,
      );
    }
    passwordHash = await hashPassword(form.text("password") ?? "");
  }
  const db = serviceDatabase(c);
  const redeemed = await redeemInvitation(db, token, passwordHash);
  if (!redeemed) return respond(c, (nonce) => linkUnusablePage({ nonce, purpose: "invitation" }), 410);
  await answerInvitation(db, redeemed.userId, { tenantId: redeemed.tenantId, accept: true }, requestInfo(c));
  return respond(c, (nonce) =>
    accountDonePage({
      nonce,
      heading: `Welcome to ${view.tenant_name}`,
      message: `You have joined ${view.tenant_name}. Sign in with ${view.email}${passwordHash ? " and the password you chose" : ""}.`,
    }),
  );
}
