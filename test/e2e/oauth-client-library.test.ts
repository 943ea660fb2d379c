import * as oauth from "oauth4webapi";
import { describe, expect, inject, it } from "vitest";
import { DEMO_PASSWORD, DEMO_TENANTS } from "../../db/seed/demo";
import { launchChromium } from "../support/chromium";
import { loopbackCallback } from "../support/loopback-callback";

const stack = inject("e2e");

// The local stack is plain HTTP on loopback; oauth4webapi refuses http: unless told. That is the
// only option set: every check of issuer, state, iss, PKCE and token responses stays on.
const http = { [oauth.allowInsecureRequests]: true } as const;

describe.each([
  ["eu", () => stack.eu],
  ["lagos", () => stack.lagos],
] as const)("oauth4webapi as a third-party client against the %s region", (region, base) => {
  it("code + PKCE in a browser → API call → refresh → revoke", async () => {
    const issuer = new URL(base());
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...http }),
    );
    expect(as.issuer).toBe(base());
    const client: oauth.Client = { client_id: "nexus-cli" };
    const clientAuth = oauth.None();

    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const loopback = await loopbackCallback();
    const authorizationUrl = new URL(as.authorization_endpoint ?? "");
    for (const [k, v] of Object.entries({
      client_id: client.client_id,
      redirect_uri: loopback.redirectUri,
      response_type: "code",
      scope: "crm:read crm:write offline_access",
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    })) {
      authorizationUrl.searchParams.set(k, v);
    }

    // The user signs in on the region's own page, in a real browser.
    const browser = await launchChromium();
    let callbackUrl: URL;
    try {
      const page = await browser.newPage();
      await page.goto(authorizationUrl.href);
      await page.getByLabel("Email").fill(DEMO_TENANTS[region].ownerEmail);
      await page.getByLabel("Password").fill(DEMO_PASSWORD);
      await page.getByRole("button", { name: "Allow" }).click();
      callbackUrl = await loopback.callback;
    } finally {
      await browser.close();
      await loopback.close();
    }

    const params = oauth.validateAuthResponse(as, client, callbackUrl, state);
    const tokenResponse = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      params,
      loopback.redirectUri,
      verifier,
      http,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse);
    expect(tokens.token_type).toBe("bearer");
    expect(tokens.refresh_token).toBeTruthy();

    const api = await oauth.protectedResourceRequest(
      tokens.access_token,
      "GET",
      new URL(`${base()}/api/v1/crm/contacts`),
      undefined,
      undefined,
      http,
    );
    expect(api.status).toBe(200);
    expect(api.headers.get("Nexus-Region")).toBe(region);

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token ?? "", http),
    );
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token ?? "", http),
    );
    // The revoked refresh token no longer refreshes: the library reports the server's invalid_grant.
    await expect(
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token ?? "", http),
      ),
    ).rejects.toMatchObject({ error: "invalid_grant" });
  });
});
