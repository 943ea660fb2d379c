import { mkdirSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { DEMO_PASSWORD, DEMO_TENANTS } from "../../db/seed/demo";
import { launchChromium } from "../support/chromium";

const stack = inject("e2e");

describe("/docs in a real browser", () => {
  // Scalar's bundle parses the whole OpenAPI document on the main thread: minutes, not seconds,
  // when the machine's two cores are taken by the other test projects.
  it("renders the interactive reference from the Worker's own assets, with no outside requests", {
    timeout: 300_000,
  }, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const external: string[] = [];
      const failed: string[] = [];
      page.on("request", (request) => {
        const url = request.url();
        if (!url.startsWith(stack.eu) && !url.startsWith("data:") && !url.startsWith("blob:"))
          external.push(url);
      });
      page.on("response", (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
      });
      const response = await page.goto(`${stack.eu}/docs`);
      expect(response?.status()).toBe(200);
      // Scalar lists each operation once it has loaded and parsed /openapi.json.
      for (const summary of ["List contacts", "Create a contact", "Delete a contact", "Region health"]) {
        await page.getByText(summary).first().waitFor({ timeout: 120_000 });
      }
      expect(await page.title()).toBe("Nexus Edge API");
      mkdirSync("test-results", { recursive: true });
      await page.screenshot({ path: "test-results/docs.png" });
      expect(external).toEqual([]);
      expect(failed).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe("/docs signs in through the region's own authorization server", { timeout: 480_000 }, () => {
  it("Authorize signs the reader in with the docs client, and Try it sends the token", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${stack.eu}/docs`);
      const authorize = page.getByRole("button", { name: "Authorize" }).first();
      await authorize.waitFor({ state: "visible", timeout: 90_000 });
      // Scalar opens the region's sign-in page in a popup, with the docs client and PKCE.
      const popupOpened = page.waitForEvent("popup", { timeout: 150_000 });
      // Scalar's bundle keeps the main thread busy for a while after first paint; on a loaded CI
      // machine the click waits past Playwright's 30 s default for the page to take it.
      await authorize.click({ timeout: 120_000 });
      const popup = await popupOpened;
      // A popup opens on about:blank and navigates after: wait for the sign-in page itself (its
      // load state alone can be about:blank's on a busy machine).
      await popup.waitForURL((url) => url.pathname === "/oauth/authorize", { timeout: 90_000 });
      const authorizeUrl = new URL(popup.url());
      expect(authorizeUrl.pathname).toBe("/oauth/authorize");
      expect(authorizeUrl.searchParams.get("client_id")).toBe("nexus-docs");
      expect(authorizeUrl.searchParams.get("redirect_uri")).toBe(`${stack.eu}/docs`);
      expect(authorizeUrl.searchParams.get("code_challenge_method")).toBe("S256");

      await popup.getByLabel("Email").fill(DEMO_TENANTS.eu.ownerEmail);
      await popup.getByLabel("Password").fill(DEMO_PASSWORD);
      const tokenAnswered = page.waitForResponse((r) => r.url() === `${stack.eu}/oauth/token`, {
        timeout: 180_000,
      });
      await popup.getByRole("button", { name: "Allow" }).click();
      const token = await tokenAnswered;
      expect(token.status()).toBe(200);
      const { access_token: accessToken } = (await token.json()) as { access_token: string };

      // Try it: the reference's client sends List contacts with the token it just got.
      // The same busy main thread as for Authorize: each click may wait long for the page to take it.
      await page.getByText("List contacts").first().click({ timeout: 120_000 });
      await page
        .getByRole("button", { name: /Test Request/ })
        .first()
        .click({ timeout: 120_000 });
      const listed = page.waitForResponse((r) => r.url().startsWith(`${stack.eu}/api/v1/crm/contacts`), {
        timeout: 60_000,
      });
      await page
        .getByRole("dialog")
        .getByRole("button", { name: /^Send/ })
        .first()
        .click({ timeout: 120_000 });
      const answer = await listed;
      expect(answer.request().headers().authorization).toBe(`Bearer ${accessToken}`);
      expect(answer.status()).toBe(200);
      await page.screenshot({ path: "test-results/docs-signed-in.png", timeout: 90_000 });
    } finally {
      await browser.close();
    }
  });
});
