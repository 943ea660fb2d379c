import { describe, expect, inject, it } from "vitest";
import { iam } from "./iam-helpers";
import { fetchWorker, openSignIn, pkcePair, postAuthorize, randomIp } from "./oauth-helpers";
import { connection, verifiedDomain } from "./sso-helpers";

// The layered limits of enterprise sign-in and SCIM (workers/api/limits/enterprise-limits.ts):
// SSO starts per address and per connection, IdP answers per address, SCIM per connection. The
// test Worker's per-connection allowances are small (12 starts, 60 SCIM requests a minute).
const TENANT = "b" as const;

async function ssoStart(email: string, ip = randomIp()) {
  const { challenge } = await pkcePair();
  const o = { challenge, ip };
  const { jar, csrf } = await openSignIn(o);
  return postAuthorize(o, jar, ip, { csrf_token: csrf, email, sso: "start" });
}

async function samlConnectionFor(domain: string) {
  const res = await iam("/sso/connections", {
    method: "POST",
    tenant: TENANT,
    json: {
      protocol: "saml",
      name: "Second IdP",
      domains: [domain],
      saml: {
        idp_entity_id: inject("saml").idpEntityId,
        idp_sso_url: inject("saml").idpSsoUrl,
        idp_certificates: [inject("saml").idpCertificate],
      },
    },
  });
  if (res.res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body.data as { id: string; issuer: string };
}

async function scimToken(connectionId: string) {
  const minted = await iam(`/sso/connections/${connectionId}/scim-token`, { method: "POST", tenant: TENANT });
  return (minted.body.data as { token: string }).token;
}

const scimUsers = (token: string) =>
  fetchWorker("/scim/v2/Users?count=1", { headers: { Authorization: `Bearer ${token}` } });

describe("limits of single sign-on starts", () => {
  it("counts every start per address, routed or not: the 21st in 10 minutes is refused", async () => {
    const ip = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await ssoStart(`x${i}@not-routed-${i}.example`, ip)).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses[20]).toBe(429);
    const refused = await ssoStart("y@not-routed.example", ip);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await refused.text()).toContain("Too many sign-in attempts");
    // Another address is not slowed by this one.
    expect((await ssoStart("y@not-routed.example")).status).toBe(200);
  });

  it("bounds the starts one connection gets from all addresses together, and no other connection's", async () => {
    const { domain } = await verifiedDomain(TENANT);
    const oidc = await connection({ domains: [domain] }, TENANT);
    const started: number[] = [];
    for (let i = 0; i < 13; i++) started.push((await ssoStart(`p${i}@${domain}`)).status);
    expect(started.slice(0, 12).every((s) => s === 200)).toBe(true);
    expect(started[12]).toBe(429);

    const other = await verifiedDomain(TENANT);
    const saml = await samlConnectionFor(other.domain);
    const elsewhere = await ssoStart(`q@${other.domain}`);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.headers.get("Refresh")).toContain(saml.issuer);
    await iam(`/sso/connections/${saml.id}`, { method: "DELETE", tenant: TENANT });
    await iam(`/sso/connections/${oidc.id}`, { method: "DELETE", tenant: TENANT });
  });

  it("counts the IdP's answers per address", async () => {
    const ip = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await fetchWorker("/oauth/sso/callback?code=x&state=y", {
        headers: { "CF-Connecting-IP": ip },
      });
      statuses.push(res.status);
    }
    // Without the flow cookie each is "took too long" (400); past the allowance, 429.
    expect(statuses.slice(0, 20).every((s) => s === 400)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});

describe("limits of SCIM", () => {
  it("gives each connection its own allowance: the 61st request in a minute is SCIM's 429", async () => {
    const first = await verifiedDomain(TENANT);
    const oidc = await connection({ domains: [first.domain] }, TENANT);
    const token = await scimToken(oidc.id);
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await scimUsers(token)).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const refused = await scimUsers(token);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(refused.headers.get("Content-Type")).toContain("application/scim+json");
    expect(await refused.json()).toMatchObject({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      status: "429",
    });

    const second = await verifiedDomain(TENANT);
    const saml = await samlConnectionFor(second.domain);
    const ok = await scimUsers(await scimToken(saml.id));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("RateLimit-Policy")).toBeTruthy();
    await iam(`/sso/connections/${saml.id}`, { method: "DELETE", tenant: TENANT });
    await iam(`/sso/connections/${oidc.id}`, { method: "DELETE", tenant: TENANT });
  });
});
