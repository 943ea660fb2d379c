import { describe, expect, it } from "vitest";
import { TEST_REGION_URLS } from "../support/regions";
import { call } from "./helpers";
import { openSignIn, pkcePair, signInForCode, tokenRequest } from "./oauth-helpers";

// The /docs page signs in with the first-party public client `nexus-docs`, registered for the
// path `/docs` on each region's own origin (migration 0019, oauth/redirect-uri.ts).
const DOCS = "nexus-docs";
const DOCS_REDIRECT = `${TEST_REGION_URLS.eu}/docs`;

describe("the docs page's OAuth client", () => {
  it("is named in the OpenAPI document's authorization code flow, with PKCE and the /docs redirect", async () => {
    const doc = (await (await call("/openapi.json", { token: null })).json()) as {
      components: { securitySchemes: { oauth2: { flows: { authorizationCode: Record<string, unknown> } } } };
    };
    const flow = doc.components.securitySchemes.oauth2.flows.authorizationCode;
    expect(flow["x-scalar-client-id"]).toBe(DOCS);
    expect(flow["x-usePkce"]).toBe("SHA-256");
    expect(flow["x-scalar-redirect-uri"]).toBe(DOCS_REDIRECT);
  });

  it("signs a reader in and back to this region's /docs, and the code buys a token", async () => {
    const { res, location, code, verifier } = await signInForCode({
      clientId: DOCS,
      redirectUri: DOCS_REDIRECT,
      scope: "openid crm:read",
    });
    expect(res.status).toBe(303);
    expect(location?.startsWith(`${DOCS_REDIRECT}?`)).toBe(true);
    // As Scalar sends it: the public client's id as Basic with an empty password, none in the body.
    const token = await tokenRequest(
      {
        grant_type: "authorization_code",
        code: code ?? "",
        code_verifier: verifier,
        redirect_uri: DOCS_REDIRECT,
      },
      { Authorization: `Basic ${btoa(`${DOCS}:`)}` },
    );
    expect(token.status).toBe(200);
    const body = (await token.json()) as { access_token?: string; refresh_token?: string; scope?: string };
    expect(body.access_token).toBeTruthy();
    // A page keeps no long-lived secret: no refresh token for this client.
    expect(body.refresh_token).toBeUndefined();
    const contacts = await call("/api/v1/crm/contacts?limit=1", { token: body.access_token ?? null });
    expect(contacts.status).toBe(200);
  });

  it("is a public client: Basic with a password is refused, as is its code without the PKCE verifier", async () => {
    const { code } = await signInForCode({ clientId: DOCS, redirectUri: DOCS_REDIRECT });
    const withSecret = await tokenRequest(
      {
        grant_type: "authorization_code",
        code: code ?? "",
        code_verifier: "x".repeat(43),
        redirect_uri: DOCS_REDIRECT,
      },
      { Authorization: `Basic ${btoa(`${DOCS}:guess`)}` },
    );
    expect(withSecret.status).toBe(401);
    expect(((await withSecret.json()) as { error: string }).error).toBe("invalid_client");
    const noVerifier = await tokenRequest({
      grant_type: "authorization_code",
      client_id: DOCS,
      code: code ?? "",
      redirect_uri: DOCS_REDIRECT,
    });
    expect(noVerifier.status).toBe(400);
  });

  it("returns to no other address: another origin, another path, or the path alone", async () => {
    const { challenge } = await pkcePair();
    for (const redirectUri of [
      "https://docs.example.com/docs",
      `${TEST_REGION_URLS.lagos}/docs`,
      `${TEST_REGION_URLS.eu}/docs/`,
      `${TEST_REGION_URLS.eu}/docs?x=1`,
      `${TEST_REGION_URLS.eu}/other`,
      "/docs",
    ]) {
      const { page, html } = await openSignIn({ clientId: DOCS, redirectUri, challenge });
      expect(page.status, redirectUri).toBe(400);
      expect(html).toContain("not registered");
    }
  });
});
