import { describe, expect, it } from "vitest";
import { TEST_REGION_URLS } from "../support/regions";
import { call } from "./helpers";
import { openSignIn, pkcePair, signInForCode, tokenRequest } from "./oauth-helpers";

// The console (/console) signs in with the first-party public client `nexus-console`, registered
// for the path `/console/` on each region's own origin (migration 0027, oauth/redirect-uri.ts).
const CONSOLE = "nexus-console";
const CONSOLE_REDIRECT = `${TEST_REGION_URLS.eu}/console/`;
const SCOPE =
  "openid profile email crm:read crm:write finance:read finance:write iam:read iam:write webhooks:read webhooks:write";

async function signedIn() {
  const { res, location, code, verifier } = await signInForCode({
    clientId: CONSOLE,
    redirectUri: CONSOLE_REDIRECT,
    scope: SCOPE,
  });
  expect(res.status).toBe(303);
  expect(location?.startsWith(`${CONSOLE_REDIRECT}?`)).toBe(true);
  const token = await tokenRequest({
    grant_type: "authorization_code",
    client_id: CONSOLE,
    code: code ?? "",
    code_verifier: verifier,
    redirect_uri: CONSOLE_REDIRECT,
  });
  expect(token.status).toBe(200);
  return (await token.json()) as { access_token: string; refresh_token?: string; scope: string };
}

describe("the console's OAuth client", () => {
  it("signs an owner in back to /console/ with every scope its screens use, and a rotating refresh token", async () => {
    const first = await signedIn();
    expect(first.scope.split(" ").sort()).toEqual(SCOPE.split(" ").sort());
    expect(first.refresh_token).toBeTruthy();
    for (const path of [
      "/api/v1/nexus/usage",
      "/api/v1/iam/api-keys",
      "/api/v1/webhooks/endpoints",
      "/api/v1/iam/audit",
    ]) {
      const answer = await call(path, { token: first.access_token });
      expect(answer.status, path).toBe(200);
    }
    const refreshed = await tokenRequest({
      grant_type: "refresh_token",
      client_id: CONSOLE,
      refresh_token: first.refresh_token ?? "",
    });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect(second.refresh_token).not.toBe(first.refresh_token);
    // The replaced refresh token is spent: presenting it again revokes the grant (RFC 9700 §4.14).
    const replayed = await tokenRequest({
      grant_type: "refresh_token",
      client_id: CONSOLE,
      refresh_token: first.refresh_token ?? "",
    });
    expect(replayed.status).toBe(400);
    const afterReuse = await tokenRequest({
      grant_type: "refresh_token",
      client_id: CONSOLE,
      refresh_token: second.refresh_token,
    });
    expect(afterReuse.status).toBe(400);
  });

  it("is public: its code needs the PKCE verifier, and it has no client credentials grant", async () => {
    const { code } = await signInForCode({ clientId: CONSOLE, redirectUri: CONSOLE_REDIRECT });
    const noVerifier = await tokenRequest({
      grant_type: "authorization_code",
      client_id: CONSOLE,
      code: code ?? "",
      redirect_uri: CONSOLE_REDIRECT,
    });
    expect(noVerifier.status).toBe(400);
    const machine = await tokenRequest({ grant_type: "client_credentials", client_id: CONSOLE });
    expect(((await machine.json()) as { error: string }).error).toBe("unauthorized_client");
  });

  it("returns to no other address: another origin, another path, or the path alone", async () => {
    const { challenge } = await pkcePair();
    for (const redirectUri of [
      "https://console.example.com/console/",
      `${TEST_REGION_URLS.lagos}/console/`,
      `${TEST_REGION_URLS.eu}/console`,
      `${TEST_REGION_URLS.eu}/console/?x=1`,
      `${TEST_REGION_URLS.eu}/docs`,
      "/console/",
    ]) {
      const { page, html } = await openSignIn({ clientId: CONSOLE, redirectUri, challenge });
      expect(page.status, redirectUri).toBe(400);
      expect(html).toContain("not registered");
    }
  });
});
