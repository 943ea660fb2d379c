import { sql } from "drizzle-orm";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { TEST_TENANTS } from "../support/tenants";
import { BASE, call, tokenFor } from "./helpers";
import {
  asTenant,
  CLI,
  exchangeCode,
  fetchWorker,
  refresh,
  signInForCode,
  tokenRequest,
  tokensFor,
} from "./oauth-helpers";

const tenantA = TEST_TENANTS.a.tenantId;

const oauthError = async (res: Response) => ((await res.json()) as { error: string }).error;

describe("POST /oauth/token: authorization_code + PKCE", () => {
  it("exchanges a code for an access token (at+jwt, 15 min), a refresh token and an ID token, never cached", async () => {
    const { code, verifier } = await signInForCode({
      scope: "openid email crm:read crm:write",
      nonce: "n-1",
    });
    const res = await exchangeCode(code ?? "", verifier);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Pragma")).toBe("no-cache");
    const body = (await res.json()) as Record<string, string | number>;
    expect(body).toMatchObject({
      token_type: "Bearer",
      expires_in: 900,
      scope: "openid email crm:read crm:write",
    });
    const access = String(body.access_token);
    expect(decodeProtectedHeader(access)).toMatchObject({ alg: "RS256", typ: "at+jwt" });
    const claims = decodeJwt(access);
    expect(claims).toMatchObject({
      iss: BASE,
      aud: "nexus-api",
      sub: TEST_TENANTS.a.ownerId,
      tenant_id: tenantA,
      region: "eu",
      role: "Owner",
      client_id: CLI,
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
    expect(String(body.refresh_token)).toMatch(/^nxrt_/);
    const id = decodeJwt(String(body.id_token));
    expect(id).toMatchObject({ iss: BASE, aud: CLI, sub: TEST_TENANTS.a.ownerId, nonce: "n-1" });
    expect(decodeProtectedHeader(String(body.id_token)).typ).toBe("JWT");

    // The access token works on the API; the ID token does not.
    expect((await call("/api/v1/crm/contacts", { token: access })).status).toBe(200);
    expect((await call("/api/v1/crm/contacts", { token: String(body.id_token) })).status).toBe(401);
  });

  it("refuses a wrong code_verifier with invalid_grant", async () => {
    const { code } = await signInForCode();
    const res = await exchangeCode(code ?? "", "x".repeat(43));
    expect(res.status).toBe(400);
    expect(await oauthError(res)).toBe("invalid_grant");
  });

  it("refuses a mismatched redirect_uri at the token endpoint", async () => {
    const { code, verifier } = await signInForCode();
    const res = await exchangeCode(code ?? "", verifier, "http://127.0.0.1:9999/callback");
    expect(await oauthError(res)).toBe("invalid_grant");
  });

  it("a code is single use: the second redemption fails and revokes what the first issued", async () => {
    const { code, verifier } = await signInForCode();
    const first = (await (await exchangeCode(code ?? "", verifier)).json()) as { refresh_token: string };
    const second = await exchangeCode(code ?? "", verifier);
    expect(second.status).toBe(400);
    expect(await oauthError(second)).toBe("invalid_grant");
    // The refresh token from the first redemption is dead now, and the replay is on record.
    expect(await oauthError(await refresh(first.refresh_token))).toBe("invalid_grant");
    const [rows = []] = await asTenant(
      tenantA,
      sql`select count(*)::int as n from audit_log where action = 'oauth.code_reuse_detected'`,
    );
    expect(Number((rows[0] as { n: number }).n)).toBeGreaterThan(0);
  });

  it("a code expires: one older than 60 s is refused", async () => {
    const { code, verifier } = await signInForCode();
    await asTenant(
      tenantA,
      sql`update oauth_codes set expires_at = now() - interval '1 second' where used_at is null`,
    );
    expect(await oauthError(await exchangeCode(code ?? "", verifier))).toBe("invalid_grant");
  });

  it("is stored with a lifetime of at most 60 s", async () => {
    await signInForCode();
    const [rows = []] = await asTenant(
      tenantA,
      sql`select extract(epoch from expires_at - created_at)::int as ttl from oauth_codes order by created_at desc limit 1`,
    );
    expect(Number((rows[0] as { ttl: number }).ttl)).toBeLessThanOrEqual(60);
  });

  it("refuses the password grant and the implicit flow's grant types", async () => {
    for (const grant of ["password", "implicit", "urn:ietf:params:oauth:grant-type:device_code"]) {
      const res = await tokenRequest({ grant_type: grant, client_id: CLI, username: "a", password: "b" });
      expect(res.status).toBe(400);
      expect(await oauthError(res)).toBe("unsupported_grant_type");
    }
  });

  it("refuses client_credentials for the public CLI client", async () => {
    const res = await tokenRequest({ grant_type: "client_credentials", client_id: CLI });
    expect(await oauthError(res)).toBe("unauthorized_client");
  });

  it("answers invalid_client (401) for an unknown client, and invalid_request for a non-form body", async () => {
    const unknown = await tokenRequest({ grant_type: "authorization_code", client_id: "nope", code: "x" });
    expect(unknown.status).toBe(401);
    expect(await oauthError(unknown)).toBe("invalid_client");
    const json = await fetchWorker("/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ grant_type: "authorization_code" }),
    });
    expect(await oauthError(json)).toBe("invalid_request");
  });
});

describe("POST /oauth/token: refresh_token rotation", () => {
  it("rotates: a new refresh token each time, and the old one is spent", async () => {
    const tokens = await tokensFor();
    const r1 = await refresh(tokens.refresh_token ?? "");
    expect(r1.status).toBe(200);
    expect(r1.headers.get("Cache-Control")).toBe("no-store");
    const b1 = (await r1.json()) as { refresh_token: string; access_token: string };
    expect(b1.refresh_token).not.toBe(tokens.refresh_token);
    expect((await call("/api/v1/crm/contacts", { token: b1.access_token })).status).toBe(200);
    const r2 = await refresh(b1.refresh_token);
    expect(r2.status).toBe(200);
  });

  it("replaying a used refresh token revokes the whole family", async () => {
    const tokens = await tokensFor();
    const b1 = (await (await refresh(tokens.refresh_token ?? "")).json()) as { refresh_token: string };
    const replay = await refresh(tokens.refresh_token ?? "");
    expect(replay.status).toBe(400);
    expect(await oauthError(replay)).toBe("invalid_grant");
    // The legitimate newest token dies with its family.
    expect(await oauthError(await refresh(b1.refresh_token))).toBe("invalid_grant");
    const [rows = []] = await asTenant(
      tenantA,
      sql`select count(*)::int as n from audit_log where action = 'oauth.refresh_reuse_detected'`,
    );
    expect(Number((rows[0] as { n: number }).n)).toBeGreaterThan(0);
  });

  it("of parallel refreshes with one token, at most one succeeds", async () => {
    const tokens = await tokensFor();
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(tokens.refresh_token ?? "")));
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeLessThanOrEqual(1);
    for (const r of results.filter((r) => r.status !== 200))
      expect(await oauthError(r)).toBe("invalid_grant");
  });

  it("may narrow the scope but never widen it", async () => {
    const tokens = await tokensFor({ scope: "crm:read crm:write" });
    const narrowed = await tokenRequest({
      grant_type: "refresh_token",
      client_id: CLI,
      refresh_token: tokens.refresh_token ?? "",
      scope: "crm:read",
    });
    const body = (await narrowed.json()) as { scope: string; refresh_token: string };
    expect(body.scope).toBe("crm:read");
    const widened = await tokenRequest({
      grant_type: "refresh_token",
      client_id: CLI,
      refresh_token: body.refresh_token,
      scope: "crm:read iam:write",
    });
    expect(await oauthError(widened)).toBe("invalid_scope");
  });

  it("refuses an expired refresh token", async () => {
    const tokens = await tokensFor();
    await asTenant(
      tenantA,
      sql`update refresh_tokens set expires_at = now() - interval '1 second' where used_at is null`,
    );
    expect(await oauthError(await refresh(tokens.refresh_token ?? ""))).toBe("invalid_grant");
  });

  it("refuses garbage and another tenant's forged prefix without revealing anything", async () => {
    for (const token of ["nope", "nxrt_AAAA", `nxrt_${"A".repeat(64)}`]) {
      expect(await oauthError(await refresh(token))).toBe("invalid_grant");
    }
  });
});

describe("POST /oauth/revoke (RFC 7009)", () => {
  const revoke = (token: string, clientId = CLI) =>
    fetchWorker("/oauth/revoke", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, client_id: clientId }),
    });

  it("revoking a refresh token ends its family", async () => {
    const tokens = await tokensFor();
    const res = await revoke(tokens.refresh_token ?? "");
    expect(res.status).toBe(200);
    expect(await oauthError(await refresh(tokens.refresh_token ?? ""))).toBe("invalid_grant");
  });

  it("revoking an access token lists its jti and ends its family", async () => {
    const tokens = await tokensFor();
    expect((await revoke(tokens.access_token)).status).toBe(200);
    const jti = String(decodeJwt(tokens.access_token).jti);
    const [rows = []] = await asTenant(
      tenantA,
      sql`select jti from revoked_access_tokens where jti = ${jti}`,
    );
    expect(rows).toHaveLength(1);
    expect(await oauthError(await refresh(tokens.refresh_token ?? ""))).toBe("invalid_grant");
  });

  it("answers 200 for unknown tokens (it reveals nothing)", async () => {
    expect((await revoke("not-a-token")).status).toBe(200);
    expect((await revoke(`nxrt_${"B".repeat(64)}`)).status).toBe(200);
  });

  it("needs a known client", async () => {
    const res = await revoke("whatever", "no-such-client");
    expect(res.status).toBe(401);
  });
});

describe("/oauth/userinfo", () => {
  it("answers the user's claims for the granted scopes", async () => {
    const tokens = await tokensFor({ scope: "openid email profile crm:read" });
    for (const method of ["GET", "POST"]) {
      const res = await fetchWorker("/oauth/userinfo", {
        method,
        headers: { Authorization: `Bearer ${tokens.access_token}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        sub: TEST_TENANTS.a.ownerId,
        email: TEST_TENANTS.a.ownerEmail,
        name: TEST_TENANTS.a.ownerName,
        tenant_id: tenantA,
      });
    }
    const narrow = await tokensFor({ scope: "crm:read" });
    const body = (await (
      await fetchWorker("/oauth/userinfo", { headers: { Authorization: `Bearer ${narrow.access_token}` } })
    ).json()) as Record<string, unknown>;
    expect(body.email).toBeUndefined();
  });

  it("refuses a missing or bad token with 401 and WWW-Authenticate", async () => {
    for (const headers of [{}, { Authorization: "Bearer nope" }] as Record<string, string>[]) {
      const res = await fetchWorker("/oauth/userinfo", { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
    }
  });
});

describe("audit", () => {
  it("records sign-in success and failure, token issue, refresh and revocation, with no secrets", async () => {
    const failed = await signInForCode({ password: "definitely-wrong-pw" });
    expect(failed.res.status).toBe(401);
    const tokens = await tokensFor();
    const rotated = (await (await refresh(tokens.refresh_token ?? "")).json()) as { refresh_token: string };
    await fetchWorker("/oauth/revoke", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: rotated.refresh_token, client_id: CLI }),
    });
    const res = await call("/api/v1/iam/audit?limit=50");
    expect(res.status).toBe(200);
    const text = await res.text();
    const { data } = JSON.parse(text) as { data: { action: string; outcome: string }[] };
    const seen = new Set(data.map((e) => `${e.action}:${e.outcome}`));
    for (const expected of [
      "auth.sign_in:success",
      "auth.sign_in:failure",
      "oauth.token_issued:success",
      "oauth.token_refreshed:success",
      "oauth.token_revoked:success",
    ]) {
      expect(seen).toContain(expected);
    }
    for (const secret of [
      tokens.refresh_token ?? "",
      rotated.refresh_token,
      tokens.access_token,
      "definitely-wrong-pw",
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it("pages with a cursor and is tenant-scoped", async () => {
    const page1 = (await (await call("/api/v1/iam/audit?limit=2")).json()) as {
      data: { id: string }[];
      meta: { cursor: string | null; has_more: boolean };
    };
    expect(page1.data).toHaveLength(2);
    expect(page1.meta.has_more).toBe(true);
    const page2 = (await (await call(`/api/v1/iam/audit?limit=2&cursor=${page1.meta.cursor}`)).json()) as {
      data: { id: string }[];
    };
    expect(page2.data.map((e) => e.id)).not.toContain(page1.data[0]?.id);
    const other = (await (
      await call("/api/v1/iam/audit", { token: await tokenFor({ tenant: "b" }) })
    ).json()) as {
      data: { actor_id: string }[];
    };
    expect(other.data.every((e) => e.actor_id !== TEST_TENANTS.a.ownerId)).toBe(true);
  });

  it("is not visible to a Viewer", async () => {
    expect((await call("/api/v1/iam/audit", { token: await tokenFor({ role: "Viewer" }) })).status).toBe(403);
  });
});

describe("scopes narrow what a role allows", () => {
  it("a read-only token reads contacts but cannot write them or touch iam", async () => {
    const { access_token } = await tokensFor({ scope: "crm:read" });
    expect((await call("/api/v1/crm/contacts", { token: access_token })).status).toBe(200);
    const write = await call("/api/v1/crm/contacts", {
      method: "POST",
      token: access_token,
      json: { first_name: "X" },
    });
    expect(write.status).toBe(403);
    expect(write.headers.get("WWW-Authenticate")).toContain('error="insufficient_scope", scope="crm:write"');
    expect((await call("/api/v1/iam/audit", { token: access_token })).status).toBe(403);
  });

  it("a token with only openid reaches no API route", async () => {
    const { access_token } = await tokensFor({ scope: "openid" });
    expect((await call("/api/v1/crm/contacts", { token: access_token })).status).toBe(403);
  });

  it("write includes read", async () => {
    const { access_token } = await tokensFor({ scope: "crm:write" });
    expect((await call("/api/v1/crm/contacts", { token: access_token })).status).toBe(200);
  });
});
