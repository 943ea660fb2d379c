import { createHash, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { DEMO_TENANTS } from "../../db/seed/demo";
import { readStackInfo } from "../../regions/local/stack-info";
import { DEMO_IDP_PASSWORD } from "../../regions/oidc-idp/demo-users";
import { launchChromium } from "../support/chromium";
import { e2eStack, rowsIn } from "../support/e2e-stack";

// The README's enterprise sign-in walk-through, in headless Chromium against `npm run dev`: the
// EU demo tenant has verified acme.example and connected the local OpenID provider, and
// verified globex.example and connected the local SAML IdP through the region's SAML bridge
// (regions/local/demo-sso.ts). One of each company's staff signs in with only their address and
// the company's IdP, and becomes a member just in time with the role their group maps to.
const REDIRECT = "http://127.0.0.1:53682/callback";

function authorize(base: string) {
  const verifier = randomBytes(32).toString("base64url");
  const url = new URL(`${base}/oauth/authorize`);
  for (const [k, v] of Object.entries({
    response_type: "code",
    client_id: "nexus-cli",
    redirect_uri: REDIRECT,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    state: "sso-walkthrough",
    scope: "openid profile email crm:read",
  })) {
    url.searchParams.set(k, v);
  }
  return { url: url.href, verifier };
}

interface Company {
  kind: "OIDC" | "SAML";
  email: string;
  /** The IdP's own sign-in page: its heading and its e-mail field's label. */
  heading: string;
  emailLabel: string;
  /** The IdP fills in the address Nexus was given (OIDC's login_hint; SAML has none here). */
  carriesAddress: boolean;
  /** Its origin, from the stack's info file. */
  origin: (info: NonNullable<ReturnType<typeof readStackInfo>>) => string | undefined;
  /** The key the member is found by next time (sso_identities.subject). */
  subject: string;
  /** Where the IdP sends the browser back: the Worker (OIDC) or the region's SAML bridge first. */
  via?: (info: NonNullable<ReturnType<typeof readStackInfo>>) => string | undefined;
}

const COMPANIES: Company[] = [
  {
    kind: "OIDC",
    email: "ada@acme.example",
    heading: "Acme",
    emailLabel: "E-mail",
    carriesAddress: true,
    origin: (info) => info.oidcIdpUrl,
    subject: "00u-ada",
  },
  {
    kind: "SAML",
    email: "hank@globex.example",
    heading: "Globex Corporation",
    emailLabel: "E-mail",
    carriesAddress: false,
    origin: (info) => info.samlIdpUrl,
    subject: "globex-hank",
    via: (info) => info.samlBridgeUrl,
  },
];

describe("enterprise sign-in in headless Chromium", () => {
  for (const company of COMPANIES) {
    it(`signs ${company.email} in through the company's ${company.kind} identity provider, JIT, with the group's role`, async () => {
      const stack = e2eStack();
      const info = readStackInfo(stack.dataDir);
      const idp = info && company.origin(info);
      expect(idp).toBeDefined();
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
        const cspViolations: string[] = [];
        page.on("console", (m) => {
          if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
        });
        // Every document the browser asked for (a redirect's hop is not a committed navigation).
        const visited: string[] = [];
        page.on("request", (request) => {
          if (request.isNavigationRequest())
            visited.push(`${request.method()} ${new URL(request.url()).origin}`);
        });
        const { url, verifier } = authorize(stack.eu);
        await page.goto(url);
        await page.getByLabel("Email").fill(company.email);
        await page.getByRole("button", { name: /company's identity provider/ }).click();

        // The company's own sign-in page, at the IdP's origin.
        await page.getByRole("heading", { name: company.heading }).waitFor();
        expect(page.url().startsWith(idp ?? "-")).toBe(true);
        mkdirSync("test-results", { recursive: true });
        await page.screenshot({
          path: `test-results/sso-idp-${company.kind.toLowerCase()}.png`,
          fullPage: true,
        });
        await signInAtIdp(page, company);

        // Back at Nexus: consent for the demo tenant only.
        await page.getByRole("heading", { name: "Allow access?" }).waitFor();
        expect(await page.content()).toContain(DEMO_TENANTS.eu.name);
        const [callback] = await Promise.all([
          page.waitForRequest((r) => r.url().startsWith(REDIRECT)),
          page.getByRole("button", { name: "Allow" }).click(),
        ]);
        const code = new URL(callback.url()).searchParams.get("code") ?? "";
        expect(code).toMatch(/^nxac_/);
        expect(cspViolations).toEqual([]);
        const bridge = info && company.via?.(info);
        // SAML: the IdP posted its assertion to the region's bridge, never to the Worker.
        if (bridge) expect(visited).toContain(`POST ${new URL(bridge).origin}`);

        const tokens = (await (
          await fetch(`${stack.eu}/oauth/token`, {
            method: "POST",
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({
              grant_type: "authorization_code",
              client_id: "nexus-cli",
              code,
              code_verifier: verifier,
              redirect_uri: REDIRECT,
            }),
          })
        ).json()) as { access_token: string };
        const claims = JSON.parse(
          Buffer.from(tokens.access_token.split(".")[1] ?? "", "base64url").toString(),
        ) as {
          tenant_id: string;
          role: string;
        };
        expect(claims.tenant_id).toBe(DEMO_TENANTS.eu.tenantId);
        // Both are in their IdP's "nexus-admins" group, which each demo connection maps to Admin.
        expect(claims.role).toBe("Admin");
        const identities = await rowsIn(
          "eu",
          "select subject from sso_identities where tenant_id = $1 and email = $2",
          [DEMO_TENANTS.eu.tenantId, company.email],
        );
        expect(identities).toEqual([{ subject: company.subject }]);
      } finally {
        await browser.close();
      }
    });
  }
});

/** The IdP's form: the address carried over (or typed), then the password. */
async function signInAtIdp(page: Page, company: Company) {
  const email = page.getByLabel(company.emailLabel);
  if (company.carriesAddress) expect(await email.inputValue()).toBe(company.email);
  else await email.fill(company.email);
  await page.getByLabel("Password").fill(DEMO_IDP_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}
