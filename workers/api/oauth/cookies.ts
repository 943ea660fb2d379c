import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../app-env";
import type { Rs256PrivateJwk } from "../auth/jwk";
import { SESSION_ABSOLUTE_SECONDS } from "../services/identity/sessions";
import { randomToken } from "./encoding";
import { openValue, sealValue } from "./server-secret";

/**
 * Cookies of the sign-in pages. Over HTTPS they are `__Host-` cookies (Secure, host-only, path
 * /); plain-HTTP local development cannot set Secure cookies, so there they drop the prefix.
 * SameSite=Lax: sent on the top-level navigation from the client app (so a signed-in user skips
 * the password), not on cross-site posts.
 */
function ownUrl(c: Context<AppEnv>): string {
  const config = c.get("config");
  return config.regionUrls[config.region];
}
const secure = (c: Context<AppEnv>) => ownUrl(c).startsWith("https:");
const name = (c: Context<AppEnv>, base: string) => (secure(c) ? `__Host-${base}` : base);

const options = (c: Context<AppEnv>, maxAge: number) =>
  ({ httpOnly: true, secure: secure(c), sameSite: "Lax", path: "/", maxAge }) as const;

export function readSessionCookie(c: Context<AppEnv>): string | undefined {
  return getCookie(c, name(c, "nx_session"));
}

export function writeSessionCookie(c: Context<AppEnv>, value: string): void {
  setCookie(c, name(c, "nx_session"), value, options(c, SESSION_ABSOLUTE_SECONDS));
}

const CSRF_TTL_SECONDS = 60 * 60;

/**
 * Signed double-submit CSRF protection (OWASP): a random cookie, and in the form an HMAC-sealed
 * copy of it. A cross-site form can send the cookie but cannot read it to forge the field.
 */
export async function csrfTokenFor(c: Context<AppEnv>, key: Rs256PrivateJwk): Promise<string> {
  let value = getCookie(c, name(c, "nx_csrf"));
  if (!value || value.length > 64) {
    value = randomToken(24);
    setCookie(c, name(c, "nx_csrf"), value, options(c, CSRF_TTL_SECONDS));
  }
  return sealValue(key, "csrf", { r: value }, CSRF_TTL_SECONDS);
}

export async function csrfValid(c: Context<AppEnv>, key: Rs256PrivateJwk, field: unknown): Promise<boolean> {
  const cookie = getCookie(c, name(c, "nx_csrf"));
  if (!cookie || typeof field !== "string") return false;
  const opened = await openValue(key, "csrf", field);
  return opened?.r === cookie;
}

/**
 * Whether a browser says this form was posted from one of our own pages. `Origin` decides when
 * present, and `null` (a sandboxed frame, a data: URL, a redirect across sites) is no origin of
 * ours; without it, `Referer` decides. Neither: not a browser that tells (the CSRF token still
 * applies). Another site's form is refused before anything is read.
 */
export function postedFromOwnPage(c: Context<AppEnv>): boolean {
  const own = new URL(ownUrl(c)).origin;
  const origin = c.req.header("Origin");
  if (origin !== undefined) return origin === own;
  const referer = c.req.header("Referer");
  if (referer === undefined) return true;
  try {
    return new URL(referer).origin === own;
  } catch {
    return false;
  }
}
