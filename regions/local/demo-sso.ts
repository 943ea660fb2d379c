import { z } from "zod";
import { DEMO_PASSWORD, DEMO_TENANTS } from "../../db/seed/demo";
import { cliSignIn } from "../../scripts/lib/cli-sign-in";
import type { DnsResolverServer } from "../dns-resolver/server";
import { DEMO_SAML_DOMAIN } from "../saml-idp/demo-users";

/**
 * What `npm run dev` sets up so a newcomer can sign in to the EU demo tenant "through the
 * company's IdP": the demo owner, through the API as any tenant would, claims acme.example,
 * publishes its TXT record at the DNS stand-in, verifies it, and connects the local OpenID
 * provider (regions/oidc-idp) with a group mapping; the same for globex.example and the local
 * SAML IdP (regions/saml-idp) through the SAML bridge. Idempotent across restarts: a verified
 * domain and the connection for that issuer (or SAML connection of that name) are reused.
 */
export const DEMO_SSO_DOMAIN = "acme.example";
export const DEMO_IDP_CLIENT = { client_id: "nexus-demo", client_secret: "nexus-demo-local-secret" };
export const demoConnectionName = "Acme (local identity provider)";

const envelope = <T extends z.ZodType>(data: T) => z.object({ data });
const domainSchema = z.object({
  id: z.string(),
  domain: z.string(),
  verified: z.boolean(),
  verification: z.object({ record_name: z.string(), record_value: z.string() }),
});
const connectionSchema = z.object({
  id: z.string(),
  issuer: z.string(),
  name: z.string(),
  protocol: z.string().optional(),
});

async function call<T>(method: string, url: string, token: string, schema: z.ZodType<T>, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return schema.parse(text ? JSON.parse(text) : {});
}

export const demoSamlConnectionName = "Globex (local SAML identity provider)";

export interface DemoSamlIdp {
  idpEntityId: string;
  idpSsoUrl: string;
  certificate: string;
}

export async function setUpDemoSso(options: {
  apiUrl: string;
  issuer: string;
  dns: DnsResolverServer;
  saml: DemoSamlIdp;
}): Promise<{ connectionId: string; samlConnectionId: string }> {
  const { access_token: token } = await cliSignIn({
    issuer: options.apiUrl,
    email: DEMO_TENANTS.eu.ownerEmail,
    password: DEMO_PASSWORD,
  });
  const base = `${options.apiUrl}/api/v1/iam/sso`;
  const domains = await call("GET", `${base}/domains?limit=200`, token, envelope(z.array(domainSchema)));
  for (const name of [DEMO_SSO_DOMAIN, DEMO_SAML_DOMAIN]) {
    const domain =
      domains.data.find((d) => d.domain === name) ??
      (await call("POST", `${base}/domains`, token, envelope(domainSchema), { domain: name })).data;
    options.dns.publish(domain.verification.record_name, [domain.verification.record_value]);
    if (!domain.verified) await call("POST", `${base}/domains/${domain.id}/verify`, token, z.unknown());
  }

  const connections = await call(
    "GET",
    `${base}/connections?limit=200`,
    token,
    envelope(z.array(connectionSchema)),
  );
  const roles = {
    group_roles: [{ group: "nexus-admins", role: "Admin" }],
    default_role: "Member",
    jit: true,
  };
  const upsert = async (existing: { id: string } | undefined, create: object, patch: object) => {
    if (existing) {
      await call("PATCH", `${base}/connections/${existing.id}`, token, z.unknown(), patch);
      return existing.id;
    }
    return (await call("POST", `${base}/connections`, token, envelope(connectionSchema), create)).data.id;
  };
  const oidc = {
    name: demoConnectionName,
    ...DEMO_IDP_CLIENT,
    scopes: ["openid", "email", "profile", "groups"],
    domains: [DEMO_SSO_DOMAIN],
    ...roles,
  };
  const connectionId = await upsert(
    connections.data.find((c) => c.issuer === options.issuer),
    { ...oidc, issuer: options.issuer },
    oidc,
  );
  // The SAML IdP makes a new signing key at each start: the connection gets its certificate
  // again (a rollover), which also registers it again at a bridge that kept nothing (PGlite).
  const saml = {
    name: demoSamlConnectionName,
    saml: {
      idp_entity_id: options.saml.idpEntityId,
      idp_sso_url: options.saml.idpSsoUrl,
      idp_certificates: [options.saml.certificate],
    },
    domains: [DEMO_SAML_DOMAIN],
    ...roles,
  };
  const samlConnectionId = await upsert(
    connections.data.find((c) => c.protocol === "saml" && c.name === demoSamlConnectionName),
    { ...saml, protocol: "saml" },
    saml,
  );
  return { connectionId, samlConnectionId };
}
