import { describe, expect, it } from "vitest";
import { REGIONS } from "../../regions/registry";
import { SIGN_IN_BACKOFF, SIGN_IN_LIMITS } from "../../workers/api/oauth/sign-in-throttle";
import { TEST_TENANTS } from "../support/tenants";
import { BASE } from "./helpers";
import { memberWhoCanSignIn } from "./iam-helpers";
import {
  authorizeQuery,
  awayFromWindowEdge,
  CLI_REDIRECT,
  CookieJar,
  DEMO_PASSWORD,
  fetchWorker,
  formField,
  openSignIn,
  pkcePair,
  postAuthorize,
  randomIp,
  signInForCode,
} from "./oauth-helpers";

describe("authorization server metadata", () => {
  it("serves RFC 8414 metadata at both well-known paths, issuer = the region's base URL", async () => {
    for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
      const res = await fetchWorker(path);
      expect(res.status).toBe(200);
      const meta = (await res.json()) as Record<string, unknown>;
      expect(meta).toMatchObject({
        issuer: BASE,
        authorization_endpoint: `${BASE}/oauth/authorize`,
        token_endpoint: `${BASE}/oauth/token`,
        revocation_endpoint: `${BASE}/oauth/revoke`,
        jwks_uri: `${BASE}/.well-known/jwks.json`,
        response_types_supported: ["code"],
        code_challenge_methods_supported: ["S256"],
        grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
        authorization_response_iss_parameter_supported: true,
      });
    }
  });
});

describe("OpenAPI document", () => {
  it("documents every OAuth and well-known endpoint", async () => {
    const doc = (await (await fetchWorker("/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const methods = (path: string) => Object.keys(doc.paths[path] ?? {}).sort();
    expect(methods("/.well-known/oauth-authorization-server")).toEqual(["get"]);
    expect(methods("/.well-known/openid-configuration")).toEqual(["get"]);
    expect(methods("/oauth/authorize")).toEqual(["get", "post"]);
    expect(methods("/oauth/token")).toEqual(["post"]);
    expect(methods("/oauth/revoke")).toEqual(["post"]);
    expect(methods("/oauth/userinfo")).toEqual(["get", "post"]);
  });

  it("answers 405 with Allow for a wrong method on an OAuth endpoint", async () => {
    const res = await fetchWorker("/oauth/token");
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("POST");
  });
});

describe("GET /oauth/authorize", () => {
  it("renders the sign-in page: not frameable, not cached, with a CSRF token bound to a cookie", async () => {
    const { challenge } = await pkcePair();
    const { page, html, jar, csrf } = await openSignIn({ challenge });
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toContain("text/html");
    expect(page.headers.get("X-Frame-Options")).toBe("DENY");
    expect(page.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("Cache-Control")).toBe("no-store");
    expect(html).toContain('name="password"');
    expect(html).toContain("Nexus CLI");
    expect(csrf).not.toBe("");
    expect([...jar.cookies.keys()]).toContain("nx_csrf");
    const cookie = page.headers.getSetCookie().find((c) => c.startsWith("nx_csrf="));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it("accepts the CLI's loopback redirect on any port (RFC 8252)", async () => {
    const { challenge } = await pkcePair();
    for (const port of [1024, 49152, 65535]) {
      const { page } = await openSignIn({ challenge, redirectUri: `http://127.0.0.1:${port}/callback` });
      expect(page.status).toBe(200);
    }
  });

  it.each([
    ["another host", "https://evil.example/callback"],
    ["another path", "http://127.0.0.1:5000/other"],
    ["localhost instead of the loopback literal", "http://localhost:5000/callback"],
    ["https on loopback", "https://127.0.0.1:5000/callback"],
    ["an extra query", "http://127.0.0.1:5000/callback?x=1"],
    ["port 0 on loopback", "http://127.0.0.1:0/callback"],
  ])("shows an error page and never redirects for a mismatched redirect_uri: %s", async (_, redirectUri) => {
    const { challenge } = await pkcePair();
    const { page, html } = await openSignIn({ challenge, redirectUri });
    expect(page.status).toBe(400);
    expect(page.headers.get("Location")).toBeNull();
    expect(html).toContain("not registered");
  });

  it("shows an error page for an unknown client", async () => {
    const { challenge } = await pkcePair();
    const { page } = await openSignIn({ challenge, clientId: "no-such-client" });
    expect(page.status).toBe(400);
    expect(page.headers.get("Location")).toBeNull();
  });

  const redirectedError = async (query: URLSearchParams) => {
    const res = await fetchWorker(`/oauth/authorize?${query}`);
    expect(res.status).toBe(303);
    const url = new URL(res.headers.get("Location") ?? "");
    expect(`${url.origin}${url.pathname}`).toBe(CLI_REDIRECT);
    expect(url.searchParams.get("state")).toBe("st-123");
    expect(url.searchParams.get("iss")).toBe(BASE);
    return url.searchParams.get("error");
  };

  it("refuses response_type=token (implicit grant) back at the client", async () => {
    const { challenge } = await pkcePair();
    const q = authorizeQuery({ challenge });
    q.set("response_type", "token");
    expect(await redirectedError(q)).toBe("unsupported_response_type");
  });

  it("requires PKCE S256: missing method, plain, or no challenge → invalid_request", async () => {
    const { challenge } = await pkcePair();
    const missingMethod = authorizeQuery({ challenge });
    missingMethod.delete("code_challenge_method");
    const plain = authorizeQuery({ challenge });
    plain.set("code_challenge_method", "plain");
    const none = authorizeQuery({ challenge });
    none.delete("code_challenge");
    for (const q of [missingMethod, plain, none]) expect(await redirectedError(q)).toBe("invalid_request");
  });

  it("refuses an unknown scope with invalid_scope", async () => {
    const { challenge } = await pkcePair();
    expect(await redirectedError(authorizeQuery({ challenge, scope: "crm:read admin:everything" }))).toBe(
      "invalid_scope",
    );
  });
});

describe("POST /oauth/authorize", () => {
  it("signs in and answers 303 to the redirect URI with code, state and iss", async () => {
    const { res, location, code } = await signInForCode();
    expect(res.status).toBe(303);
    const url = new URL(location ?? "");
    expect(`${url.origin}${url.pathname}`).toBe(CLI_REDIRECT);
    expect(url.searchParams.get("state")).toBe("st-123");
    expect(url.searchParams.get("iss")).toBe(BASE);
    expect(code).toMatch(/^nxac_/);
    const session = res.headers.getSetCookie().find((c) => c.startsWith("nx_session="));
    expect(session).toMatch(/HttpOnly/i);
  });

  it("refuses a post without the CSRF token, with a token but no cookie, or from another origin", async () => {
    const { challenge } = await pkcePair();
    const o = { challenge };
    const { jar, ip, csrf } = await openSignIn(o);
    const fields = { email: TEST_TENANTS.a.ownerEmail, password: DEMO_PASSWORD, consent: "approve" };

    expect((await postAuthorize(o, jar, ip, fields)).status).toBe(403);
    expect((await postAuthorize(o, new CookieJar(), ip, { ...fields, csrf_token: csrf })).status).toBe(403);
    const forged = new CookieJar();
    forged.cookies.set("nx_csrf", "attacker-chosen");
    expect((await postAuthorize(o, forged, ip, { ...fields, csrf_token: csrf })).status).toBe(403);

    const body = new URLSearchParams(authorizeQuery(o));
    for (const [k, v] of Object.entries({ ...fields, csrf_token: csrf })) body.set(k, v);
    const crossSite = await fetchWorker("/oauth/authorize", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Cookie: jar.header(),
        Origin: "https://evil.example",
      },
      body,
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get("Location")).toBeNull();
  });

  it("refuses Origin null, and a foreign Referer without Origin, like another site's Origin", async () => {
    const { challenge } = await pkcePair();
    const o = { challenge };
    const { jar, ip, csrf } = await openSignIn(o);
    const body = new URLSearchParams(authorizeQuery(o));
    const fields = { email: TEST_TENANTS.a.ownerEmail, password: DEMO_PASSWORD, consent: "approve" };
    for (const [k, v] of Object.entries({ ...fields, csrf_token: csrf })) body.set(k, v);
    const post = (headers: Record<string, string>) =>
      fetchWorker("/oauth/authorize", {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Cookie: jar.header(),
          "CF-Connecting-IP": ip,
          ...headers,
        },
        body,
      });
    const refused: Record<string, string>[] = [
      { Origin: "null" },
      { Referer: "https://evil.example/page" },
      { Referer: "not a url" },
      { Origin: "null", Referer: `${BASE}/oauth/authorize` },
    ];
    for (const headers of refused) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get("Location")).toBeNull();
      expect(await res.text()).toContain("sent from another site");
    }
    // Our own page as Referer (a browser that sends no Origin) still signs in.
    const own = await post({ Referer: `${BASE}/oauth/authorize?${authorizeQuery(o)}` });
    expect(own.status).toBe(303);
  });

  it("says the same thing for an unknown account and a wrong password", async () => {
    const wrongPassword = await signInForCode({ password: "not-the-password-at-all" });
    const unknown = await signInForCode({ email: "nobody-here@tenant-a.example" });
    expect(wrongPassword.res.status).toBe(401);
    expect(unknown.res.status).toBe(401);
    const message = (html: string) => /<p role="alert"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];
    const [a, b] = [await wrongPassword.res.text(), await unknown.res.text()];
    // It says that accounts belong to a region (this one; the other is named), not which it was.
    expect(message(a)).toBe(
      "The email or password is not right. Accounts belong to the region their business is in; this is " +
        `${REGIONS.eu.name}. If your business is in ${REGIONS.lagos.name}, its accounts are there: sign in ` +
        "through that region.",
    );
    expect(message(b)).toBe(message(a));
    expect(wrongPassword.location).toBeNull();
  });

  it("with a live session shows consent without asking for the password again", async () => {
    const first = await signInForCode();
    expect(first.res.status).toBe(303);
    const { challenge } = await pkcePair();
    const again = await openSignIn({ challenge, jar: first.jar, ip: first.ip });
    expect(again.page.status).toBe(200);
    expect(again.html).not.toContain('name="password"');
    expect(again.html).toContain("Signed in as");
    const approved = await postAuthorize({ challenge }, again.jar, first.ip, {
      csrf_token: again.csrf,
      consent: "approve",
    });
    expect(approved.status).toBe(303);
    expect(new URL(approved.headers.get("Location") ?? "").searchParams.get("code")).toMatch(/^nxac_/);
  });

  it("consent=deny returns access_denied to the client", async () => {
    const { challenge } = await pkcePair();
    const o = { challenge };
    const { jar, ip, csrf } = await openSignIn(o);
    const res = await postAuthorize(o, jar, ip, {
      csrf_token: csrf,
      email: TEST_TENANTS.a.ownerEmail,
      password: DEMO_PASSWORD,
      consent: "deny",
    });
    expect(res.status).toBe(303);
    const url = new URL(res.headers.get("Location") ?? "");
    expect(url.searchParams.get("error")).toBe("access_denied");
    expect(url.searchParams.get("code")).toBeNull();
  });

  it("an attacker's 20 wrong passwords do not keep the owner out: the owner signs in from their own address", async () => {
    const owner = await memberWhoCanSignIn("Member");
    const attacker = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { res } = await signInForCode({ email: owner.email, password: `guess-${i}-wrong`, ip: attacker });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, SIGN_IN_BACKOFF.pair.free)).toEqual([401, 401, 401]);
    expect(statuses.slice(SIGN_IN_BACKOFF.pair.free).every((s) => s === 429)).toBe(true);
    // Right after, from an address that has not been failing: the right password works.
    const signedIn = await signInForCode({ email: owner.email, ip: randomIp() });
    expect(signedIn.res.status).toBe(303);
    expect(signedIn.code).toMatch(/^nxac_/);
    // The attacker's address is still slowed, even with the right password.
    expect((await signInForCode({ email: owner.email, ip: attacker })).res.status).toBe(429);
  }, 45_000);

  it("counts parallel guesses exactly: of 10 at once from one address, only the free ones are checked", async () => {
    const email = `parallel-${crypto.randomUUID()}@tenant-a.example`;
    const ip = randomIp();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => signInForCode({ email, password: "wrong-password-123", ip })),
    );
    const statuses = results.map((r) => r.res.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(SIGN_IN_BACKOFF.pair.free);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10 - SIGN_IN_BACKOFF.pair.free);
  }, 45_000);

  it("slows a guesser with a growing delay: 2^(n - free) s after the nth failure, Retry-After says so", async () => {
    const email = `throttle-${crypto.randomUUID()}@tenant-a.example`;
    const ip = randomIp();
    const attempt = async () => (await signInForCode({ email, password: "wrong-password-123", ip })).res;
    for (let i = 0; i < SIGN_IN_BACKOFF.pair.free; i++) expect((await attempt()).status).toBe(401);
    for (const seconds of [1, 2, 4]) {
      const refused = await attempt();
      expect(refused.status).toBe(429);
      expect(refused.headers.get("Retry-After")).toBe(String(seconds));
      expect(await refused.text()).toContain(
        `Too many sign-in attempts. Try again in ${seconds} second${seconds === 1 ? "" : "s"}.`,
      );
      await new Promise((r) => setTimeout(r, seconds * 1000 + 100));
      // The wait is over: the next attempt is checked (and fails, so the next wait doubles).
      expect((await attempt()).status).toBe(401);
    }
  }, 45_000);

  it("slows an address failing across accounts, and counts every attempt per address: 30 in 10 minutes", async () => {
    const sprayer = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i <= SIGN_IN_BACKOFF.address.free; i++) {
      const { res } = await signInForCode({
        email: `spray-${i}-${crypto.randomUUID()}@x.example`,
        ip: sprayer,
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, SIGN_IN_BACKOFF.address.free).every((s) => s === 401)).toBe(true);
    expect(statuses[SIGN_IN_BACKOFF.address.free]).toBe(429);

    // Right passwords count in the window too (a flood), so the 31st attempt is refused.
    await awayFromWindowEdge(SIGN_IN_LIMITS.ip.windowMs);
    const member = await memberWhoCanSignIn("Member");
    const ip = randomIp();
    const flood: number[] = [];
    for (let i = 0; i < SIGN_IN_LIMITS.ip.limit + 1; i++) {
      flood.push((await signInForCode({ email: member.email, ip })).res.status);
    }
    expect(flood.slice(0, SIGN_IN_LIMITS.ip.limit).every((s) => s === 303)).toBe(true);
    expect(flood[SIGN_IN_LIMITS.ip.limit]).toBe(429);
  }, 60_000);

  it("a tampered hidden redirect_uri is validated again on submit", async () => {
    const { challenge } = await pkcePair();
    const o = { challenge };
    const { jar, ip, csrf } = await openSignIn(o);
    const res = await postAuthorize({ ...o, redirectUri: "https://evil.example/cb" }, jar, ip, {
      csrf_token: csrf,
      email: TEST_TENANTS.a.ownerEmail,
      password: DEMO_PASSWORD,
      consent: "approve",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("Location")).toBeNull();
  });

  it("escapes what the request carries into the page", async () => {
    const { challenge } = await pkcePair();
    const { html } = await openSignIn({ challenge, state: '"><script>alert(1)</script>' });
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(formField(html, "state")).toBe(
      "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;".replaceAll("&amp;", "&"),
    );
  });
});
