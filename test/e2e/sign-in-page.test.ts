import { createHash, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { DEMO_PASSWORD, DEMO_TENANTS } from "../../db/seed/demo";
import { launchChromium } from "../support/chromium";

const stack = inject("e2e");

function authorizeUrl(base: string, redirectUri = "http://127.0.0.1:53682/callback") {
  const verifier = randomBytes(32).toString("base64url");
  const url = new URL(`${base}/oauth/authorize`);
  for (const [k, v] of Object.entries({
    response_type: "code",
    client_id: "nexus-cli",
    redirect_uri: redirectUri,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    state: "page-test",
    scope: "openid profile email crm:read crm:write",
  })) {
    url.searchParams.set(k, v);
  }
  return url.href;
}

describe("the sign-in page in headless Chromium", () => {
  it("is labelled, loads nothing from outside, says the same for unknown and wrong credentials, and signs in", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
      const outside: string[] = [];
      const cspViolations: string[] = [];
      page.on("request", (r) => {
        if (!r.url().startsWith(stack.eu) && !r.url().startsWith("http://127.0.0.1:53682/"))
          outside.push(r.url());
      });
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });

      const response = await page.goto(authorizeUrl(stack.eu));
      expect(response?.status()).toBe(200);
      expect(await page.title()).toBe("Sign in · Nexus Edge");
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      const email = page.getByLabel("Email");
      const password = page.getByLabel("Password");
      expect(await email.getAttribute("autocomplete")).toBe("username");
      expect(await password.getAttribute("autocomplete")).toBe("current-password");
      mkdirSync("test-results", { recursive: true });
      await page.screenshot({ path: "test-results/sign-in.png", fullPage: true });

      await email.fill("nobody@demo-eu.example");
      await password.fill("wrong-password-123");
      await page.getByRole("button", { name: "Allow" }).click();
      const unknownMessage = await page.getByRole("alert").textContent();
      await page.getByLabel("Email").fill(DEMO_TENANTS.eu.ownerEmail);
      await page.getByLabel("Password").fill("wrong-password-123");
      await page.getByRole("button", { name: "Allow" }).click();
      const wrongMessage = await page.getByRole("alert").textContent();
      expect(unknownMessage).toMatch(
        /^The email or password is not right\. Accounts belong to the region their business is in; this is Europe/,
      );
      expect(wrongMessage).toBe(unknownMessage);
      await page.screenshot({ path: "test-results/sign-in-error.png", fullPage: true });

      // Enter in the password field submits "Allow" (the first button), as a user expects.
      await page.getByLabel("Password").fill(DEMO_PASSWORD);
      const [callback] = await Promise.all([
        page.waitForRequest((r) => r.url().startsWith("http://127.0.0.1:53682/callback")),
        page.getByLabel("Password").press("Enter"),
      ]);
      const back = new URL(callback.url());
      expect(back.searchParams.get("code")).toMatch(/^nxac_/);
      expect(back.searchParams.get("state")).toBe("page-test");
      expect(back.searchParams.get("iss")).toBe(stack.eu);
      expect(outside).toEqual([]);
      expect(cspViolations).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("cannot be framed by another page", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setContent(
        `<iframe id="f" src="${authorizeUrl(stack.eu)}" width="600" height="400"></iframe>`,
      );
      await page.waitForTimeout(1500);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      // Chromium replaces a refused frame with its error page: the form is never there.
      const hasForm = frame
        ? await frame
            .locator('input[name="password"]')
            .count()
            .catch(() => 0)
        : 0;
      expect(hasForm).toBe(0);
    } finally {
      await browser.close();
    }
  });
});
