import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call } from "./helpers";
import { memberWhoCanSignIn, unique } from "./iam-helpers";
import { AccountBrowser, linkIn, mailTo, strongPassword, waitForMail } from "./mail-helpers";
import {
  type CookieJar,
  DEMO_PASSWORD,
  openSignIn,
  pkcePair,
  refresh,
  rows,
  signInForCode,
  tokensFor,
} from "./oauth-helpers";

const RESET = "Reset your Nexus Edge password";

/** Asks for a reset link as the sign-in page's "Forgot your password?" does. */
async function askForReset(
  email: string,
  browser = new AccountBrowser(),
  headers: Record<string, string> = {},
) {
  await browser.get("/oauth/forgot");
  return browser.post("/oauth/forgot", { email }, headers);
}

/** The page without what differs per response (the CSP nonce, the CSRF field). */
const comparable = (html: string) =>
  html.replace(/nonce="[^"]*"/g, 'nonce=""').replace(/name="csrf_token" value="[^"]*"/g, "");

describe("password reset", () => {
  it("a reset link works once, and the reset ends every session and refresh token", async () => {
    const user = await memberWhoCanSignIn("Member");
    const tokens = await tokensFor({ email: user.email });
    const signedIn = await signInForCode({ email: user.email });
    expect(signedIn.code).toBeDefined();
    const jar: CookieJar = signedIn.jar;

    const asked = await askForReset(user.email);
    expect(asked.res.status).toBe(200);
    expect(asked.html).toContain("If an account uses this address");
    const [message] = await waitForMail(user.email, 1, RESET);
    if (!message) throw new Error("unreachable");
    expect(message.subject).toBe("Reset your Nexus Edge password");
    const link = new URL(linkIn(message, "/oauth/reset"));
    const token = link.searchParams.get("token") ?? "";

    const browser = new AccountBrowser();
    const page = await browser.get(`${link.pathname}${link.search}`);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain(user.email);
    const password = strongPassword();
    const saved = await browser.post("/oauth/reset", { token, password, password_confirm: password });
    expect(saved.res.status).toBe(200);
    expect(saved.html).toContain("signed out everywhere");

    // The refresh token's family is revoked; so is its access token (edge revocation list).
    expect((await refresh(tokens.refresh_token ?? "")).status).toBe(400);
    expect((await call("/api/v1/iam/members", { token: tokens.access_token })).status).toBe(401);
    // The sign-in session is gone: the page asks for credentials again, not for consent.
    const { challenge } = await pkcePair();
    const again = await openSignIn({ challenge, jar });
    expect(again.html).toContain('name="password"');

    // The old password no longer works, the new one does.
    expect((await signInForCode({ email: user.email, password: DEMO_PASSWORD })).code).toBeUndefined();
    expect((await tokensFor({ email: user.email, password })).access_token).toBeTruthy();

    // Once only.
    expect((await browser.get(`${link.pathname}${link.search}`)).res.status).toBe(410);
    const replay = await browser.post("/oauth/reset", { token, password, password_confirm: password });
    expect(replay.res.status).toBe(410);
  });

  it("an expired link is refused; only the newest link works", async () => {
    const user = await memberWhoCanSignIn("Member");
    await askForReset(user.email);
    const [first] = await waitForMail(user.email, 1, RESET);
    await askForReset(user.email);
    const [second] = await waitForMail(user.email, 2, RESET);
    const older = new URL(linkIn(first as NonNullable<typeof first>, "/oauth/reset"));
    const newer = new URL(linkIn(second as NonNullable<typeof second>, "/oauth/reset"));
    expect(older.href).not.toBe(newer.href);
    const browser = new AccountBrowser();
    expect((await browser.get(`${older.pathname}${older.search}`)).res.status).toBe(410);
    expect((await browser.get(`${newer.pathname}${newer.search}`)).res.status).toBe(200);

    await rows(
      sql`update account_tokens set expires_at = now() - interval '1 second'
          where user_id = ${user.id} and purpose = 'password_reset' and used_at is null`,
    );
    expect((await browser.get(`${newer.pathname}${newer.search}`)).res.status).toBe(410);
    const password = strongPassword();
    const late = await browser.post("/oauth/reset", {
      token: newer.searchParams.get("token") ?? "",
      password,
      password_confirm: password,
    });
    expect(late.res.status).toBe(410);
    expect((await tokensFor({ email: user.email })).access_token).toBeTruthy();
  });

  it("says the same thing, with the same cookies, whether or not an account uses the address", async () => {
    const user = await memberWhoCanSignIn("Member");
    const nobody = `${unique("nobody")}@example.com`;
    const known = await askForReset(user.email);
    const unknown = await askForReset(nobody);
    expect(unknown.res.status).toBe(known.res.status);
    expect(comparable(unknown.html)).toBe(comparable(known.html));
    const cookieNames = (r: Response) =>
      r.headers
        .getSetCookie()
        .map((c) => c.split("=")[0])
        .sort();
    expect(cookieNames(unknown.res)).toEqual(cookieNames(known.res));
    await waitForMail(user.email, 1, RESET);
    // Nothing queued for the unknown address: no row, no mail.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await mailTo(nobody)).toHaveLength(0);
    const accounts = await rows(sql`select 1 from users where lower(email) = lower(${nobody})`);
    expect(accounts).toHaveLength(0);
  });

  it("is limited per address typed (counted whether or not it has an account) and per IP", async () => {
    const nobody = `${unique("flood")}@example.com`;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await askForReset(nobody)).res.status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await askForReset(nobody);
    expect(limited.res.headers.get("Retry-After")).toMatch(/^[0-9]+$/);

    const browser = new AccountBrowser();
    const fromOneIp: number[] = [];
    for (let i = 0; i < 11; i++) {
      fromOneIp.push((await askForReset(`${unique("spray")}@example.com`, browser)).res.status);
    }
    expect(fromOneIp.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(fromOneIp[10]).toBe(429);
  });

  it("refuses a form from another site and one without the page's CSRF field", async () => {
    const browser = new AccountBrowser();
    await browser.get("/oauth/forgot");
    const foreign = await browser.post(
      "/oauth/forgot",
      { email: "a@example.com" },
      { Origin: "https://evil.example" },
    );
    expect(foreign.res.status).toBe(403);
    browser.csrf = "forged";
    const forged = await browser.post("/oauth/forgot", { email: "a@example.com" });
    expect(forged.res.status).toBe(403);
  });

  it("the sign-in page links to the reset page, with the way back", async () => {
    const { challenge } = await pkcePair();
    const { html } = await openSignIn({ challenge });
    const href = /href="(\/oauth\/forgot\?[^"]+)"/.exec(html)?.[1]?.replaceAll("&amp;", "&");
    expect(href).toBeDefined();
    const forgot = await new AccountBrowser().get(href ?? "");
    expect(forgot.res.status).toBe(200);
    expect(forgot.html).toContain('href="/oauth/authorize?');
  });
});
