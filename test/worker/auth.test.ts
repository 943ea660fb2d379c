import { base64url, exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { TEST_TENANTS } from "../support/tenants";
import { call, envelope, signingKeys, tokenFor } from "./helpers";

const tenant = TEST_TENANTS.a;
const EU = "http://127.0.0.1:8787";

function claims(overrides: Record<string, unknown> = {}) {
  return {
    iss: EU,
    aud: "nexus-api",
    sub: tenant.ownerId,
    tenant_id: tenant.tenantId,
    region: "eu",
    role: "Owner",
    scope: "crm:read",
    jti: crypto.randomUUID(),
    ...overrides,
  };
}

async function signWithEuKey(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
  exp: string | number = "5m",
): Promise<string> {
  const jwk = signingKeys().eu;
  const key = await importJWK(jwk, "RS256");
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: jwk.kid, ...header })
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key);
}

async function expect401(token: string | null, authorization?: string) {
  const headers: Record<string, string> = {};
  if (authorization) headers.Authorization = authorization;
  const res = await call("/api/v1/crm/contacts", { token, headers });
  expect(res.status).toBe(401);
  expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="nexus"/);
  const body = await envelope(res);
  expect(body.status).toBe("error");
  expect(body.errors?.[0]?.code).toBe("UNAUTHENTICATED");
  return body;
}

describe("access token verification", () => {
  it("accepts a valid RS256 access token", async () => {
    const res = await call("/api/v1/crm/contacts", { token: await signWithEuKey(claims()) });
    expect(res.status).toBe(200);
  });

  it("rejects a missing or non-Bearer credential", async () => {
    await expect401(null);
    await expect401(null, "Basic dXNlcjpwYXNz");
  });

  it("rejects alg none", async () => {
    const header = base64url.encode(
      JSON.stringify({ alg: "none", typ: "at+jwt", kid: signingKeys().eu.kid }),
    );
    const now = Math.floor(Date.now() / 1000);
    const payload = base64url.encode(JSON.stringify({ ...claims(), iat: now, exp: now + 300 }));
    await expect401(`${header}.${payload}.`);
  });

  it("rejects HS256 signed with the public key (algorithm confusion)", async () => {
    const pub = { ...signingKeys().eu };
    for (const k of ["d", "p", "q", "dp", "dq", "qi"] as const) delete pub[k];
    const secret = new TextEncoder().encode(JSON.stringify(pub));
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: pub.kid })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(secret);
    await expect401(token);
  });

  it("rejects another algorithm (RS512, ES256)", async () => {
    const jwk = signingKeys().eu;
    const rs512 = await new SignJWT(claims())
      .setProtectedHeader({ alg: "RS512", typ: "at+jwt", kid: jwk.kid })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(await importJWK(jwk, "RS512"));
    await expect401(rs512);
    const { privateKey } = await generateKeyPair("ES256");
    const es256 = await new SignJWT(claims())
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: jwk.kid })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    await expect401(es256);
  });

  it("rejects an unknown kid and a key the region never published", async () => {
    await expect401(await signWithEuKey(claims(), { kid: "eu-unknown" }));
    const { privateKey } = await generateKeyPair("RS256");
    const foreign = await new SignJWT(claims())
      .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: signingKeys().eu.kid })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    await expect401(foreign);
  });

  it("rejects jku, x5u and embedded jwk headers", async () => {
    const { publicKey } = await generateKeyPair("RS256");
    await expect401(await signWithEuKey(claims(), { jku: "https://attacker.example/jwks.json" }));
    await expect401(await signWithEuKey(claims(), { x5u: "https://attacker.example/cert.pem" }));
    await expect401(await signWithEuKey(claims(), { jwk: await exportJWK(publicKey) }));
  });

  it("rejects expired and not-yet-valid tokens beyond the clock tolerance", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect401(await signWithEuKey(claims(), {}, now - 120));
    await expect401(await signWithEuKey({ ...claims(), nbf: now + 600 }));
  });

  it("rejects a token issued in the future or living longer than the configured maximum", async () => {
    const jwk = signingKeys().eu;
    const key = await importJWK(jwk, "RS256");
    const signed = (times: { iat?: number; exp: number }) =>
      new SignJWT({ ...claims(), ...times })
        .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: jwk.kid })
        .sign(key);
    const now = Math.floor(Date.now() / 1000);
    // Issued an hour from now, valid for the usual 15 minutes from then.
    const future = await expect401(await signed({ iat: now + 3600, exp: now + 3600 + 900 }));
    expect(future.errors?.[0]?.message).toBe("Token issued in the future");
    const tenYears = await expect401(await signed({ iat: now, exp: now + 10 * 365 * 86_400 }));
    expect(tenYears.errors?.[0]?.message).toBe("Token lifetime too long");
    await expect401(await signed({ exp: now + 600 }));
    // Within the clock tolerance, and at the longest lifetime a client may be given: accepted.
    const skewed = await signed({ iat: now + 20, exp: now + 20 + 3600 });
    expect((await call("/api/v1/crm/contacts", { token: skewed })).status).toBe(200);
    await expect401(await signed({ iat: now, exp: now + 3601 }));
  });

  it("rejects a wrong issuer or audience", async () => {
    await expect401(await signWithEuKey(claims({ iss: "https://evil.example" })));
    await expect401(await signWithEuKey(claims({ aud: "another-api" })));
  });

  it("rejects a token whose region claim contradicts its issuer", async () => {
    await expect401(await signWithEuKey(claims({ region: "lagos" })));
  });

  it("rejects an ID token (typ JWT) used as an access token", async () => {
    await expect401(await signWithEuKey(claims(), { typ: "JWT" }));
  });

  it("rejects tokens missing required claims", async () => {
    const { tenant_id: _omit, ...withoutTenant } = claims();
    await expect401(await signWithEuKey(withoutTenant));
    await expect401(await signWithEuKey(claims({ sub: "not-a-uuid" })));
  });

  it("rejects tampered bytes", async () => {
    const token = await tokenFor();
    const [h, p, s] = token.split(".") as [string, string, string];
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
    payload.role = "Owner";
    payload.tenant_id = TEST_TENANTS.b.tenantId;
    await expect401(`${h}.${base64url.encode(JSON.stringify(payload))}.${s}`);
    await expect401(`${h}.${p}.${s.slice(0, -4)}AAAA`);
  });

  it("rejects oversized tokens before verifying them", async () => {
    const body = await expect401(await signWithEuKey(claims({ padding: "x".repeat(10_000) })));
    expect(body.errors?.[0]?.message).toMatch(/too large/i);
  });

  it("does not reveal internals in the error", async () => {
    const body = await expect401("garbage.token.here");
    expect(JSON.stringify(body)).not.toMatch(/stack|jose|Error:/);
  });
});
