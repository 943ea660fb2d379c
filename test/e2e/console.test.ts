import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEMO_PASSWORD, DEMO_TENANTS } from "../../db/seed/demo";
import { launchChromium } from "../support/chromium";
import { until } from "../support/until";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../support/webhook-receiver";
import { verifyStandard } from "../support/webhook-verify";

const stack = inject("e2e");
const RUN = Date.now().toString(36);
const HOOK = `console-${RUN}`;
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core in the page (evaluated through the DevTools protocol, which the page's CSP does not
 * govern, so the check needs no weakening of the policy): the serious and critical violations.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<unknown> } }).axe;
    const result = (await axe.run(document, { resultTypes: ["violations"] })) as {
      violations: AxeViolation[];
    };
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** The console's sign-in: its button, then the region's page (credentials when asked), then Allow. */
async function signIn(page: Page, email: string) {
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/oauth/authorize");
  if (await page.getByLabel("Password").count()) {
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(DEMO_PASSWORD);
  }
  await page.getByRole("button", { name: "Allow" }).click();
}

interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
}

/** Every token the page obtains, in order (what it holds in memory, seen from outside). */
function recordTokens(page: Page): TokenAnswer[] {
  const answers: TokenAnswer[] = [];
  page.on("response", async (r) => {
    if (r.url() === `${stack.eu}/oauth/token` && r.status() === 200)
      answers.push((await r.json()) as TokenAnswer);
  });
  return answers;
}

async function open(page: Page, screen: string, heading: string) {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: screen }).click();
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

let receiver: WebhookReceiver;
const received: ReceivedWebhook[] = [];
beforeAll(async () => {
  receiver = await startWebhookReceiver((name, got) => {
    if (name === HOOK) received.push(got);
  });
});
afterAll(() => receiver.close());

describe("the console in a real browser", { timeout: 300_000 }, () => {
  it("signs in with PKCE, adds a contact, creates and revokes a key, replays a delivery, charts usage", async () => {
    mkdirSync("test-results", { recursive: true });
    const browser = await launchChromium();
    let accessToken = "";
    let endpointId: string | undefined;
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const external: string[] = [];
      const cspReports: string[] = [];
      page.on("request", (r) => {
        const url = r.url();
        if (!url.startsWith(stack.eu) && !url.startsWith("data:") && !url.startsWith("blob:"))
          external.push(url);
      });
      page.on("console", (m) => {
        if (m.type() === "error" && /Content Security Policy/i.test(m.text())) cspReports.push(m.text());
      });
      page.on("dialog", (d) => void d.accept());

      // The page and its policy: same-origin script and style only, nothing inline.
      const first = await page.goto(`${stack.eu}/console/`);
      expect(first?.status()).toBe(200);
      const csp = first?.headers()["content-security-policy"] ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("unsafe-eval");
      // The headers file is read by wrangler, not served.
      expect((await fetch(`${stack.eu}/_headers`)).status).not.toBe(200);
      await page.getByRole("heading", { name: "Nexus Edge console" }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);

      // Sign in: the region's own authorization server, the console's public client, PKCE S256.
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL((url) => url.pathname === "/oauth/authorize");
      const authorize = new URL(page.url());
      expect(authorize.searchParams.get("client_id")).toBe("nexus-console");
      expect(authorize.searchParams.get("redirect_uri")).toBe(`${stack.eu}/console/`);
      expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
      expect(authorize.searchParams.get("state")).toBeTruthy();
      await page.getByLabel("Email").fill(DEMO_TENANTS.eu.ownerEmail);
      await page.getByLabel("Password").fill(DEMO_PASSWORD);
      const tokenAnswered = page.waitForResponse((r) => r.url() === `${stack.eu}/oauth/token`);
      await page.getByRole("button", { name: "Allow" }).click();
      const token = await tokenAnswered;
      expect(token.status()).toBe(200);
      const tokens = (await token.json()) as { access_token: string; refresh_token?: string };
      accessToken = tokens.access_token;
      expect(tokens.refresh_token).toBeTruthy();
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      // The code and state are gone from the address bar; no token is kept where script storage lasts.
      expect(page.url()).toBe(`${stack.eu}/console/`);
      const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }]));
      expect(stored).toBe("[{},{}]");
      expect(await page.evaluate(() => document.cookie)).toBe("");

      // Keyboard: a screen's heading takes focus when it opens; going back from it with Shift+Tab
      // passes the navigation and Sign out and reaches the skip link, whose Enter moves to the screen.
      const focused = () => page.evaluate(() => document.activeElement?.textContent ?? "");
      expect(await focused()).toBe("Overview");
      const passed: string[] = [];
      while (passed.length < 20 && (await focused()) !== "Skip to content") {
        await page.keyboard.press("Shift+Tab");
        passed.push(await focused());
      }
      expect(passed).toEqual(expect.arrayContaining(["Settings", "Contacts", "Sign out", "Skip to content"]));
      await page.keyboard.press("Enter");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
      expect(page.url()).toBe(`${stack.eu}/console/`);

      // A webhook endpoint registered here (its secret shown once) receives what happens next.
      await open(page, "Webhooks", "Webhooks");
      await page.getByLabel("URL (required)").fill(`${receiver.url}/hooks/${HOOK}`);
      await page.getByLabel("Description").fill(`console e2e ${RUN}`);
      await page.getByRole("button", { name: "Register endpoint" }).click();
      const signingSecret = await page.getByTestId("secret").textContent();
      expect(signingSecret).toMatch(/^whsec_/);
      await page.screenshot({ path: "test-results/console-webhook-secret.png" });
      await page.getByRole("button", { name: "I have stored it" }).click();
      await expect.poll(() => page.getByTestId("secret").count()).toBe(0);

      // A contact, with the tenant's required field (the preset's "Client status").
      await open(page, "Contacts", "Contacts");
      const firstName = `Ngozi${RUN}`;
      await page.getByLabel("First name (required)").fill(firstName);
      await page.getByLabel("Last name").fill("Console");
      await page.getByLabel("E-mail").fill(`ngozi.${RUN}@example.com`);
      await page.getByLabel("Client status (required)").selectOption("prospect");
      await page.getByRole("button", { name: "Add contact" }).click();
      await page
        .getByRole("status")
        .filter({ hasText: `Added ${firstName} Console.` })
        .waitFor();
      await page.getByLabel("Search contacts").fill(firstName);
      await page.getByRole("button", { name: "Search" }).click();
      const rows = page
        .getByRole("table", { name: new RegExp(`Contacts matching “${firstName}”`) })
        .getByRole("row");
      await expect.poll(() => rows.count()).toBe(2); // header + the one contact
      await expect.poll(() => rows.nth(1).textContent()).toContain(`ngozi.${RUN}@example.com`);
      const listed = await fetch(`${stack.eu}/api/v1/crm/contacts?name=${firstName}`, {
        headers: { Authorization: `Bearer ${accessToken}` },
      });
      expect(((await listed.json()) as { data: unknown[] }).data).toHaveLength(1);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: "test-results/console-contacts.png", fullPage: true });

      // An API key: the secret once, working; rotated (a new secret once, the old one in its grace
      // period); the new one revoked, and refused.
      await open(page, "API keys", "API keys");
      const keyName = `console key ${RUN}`;
      await page.getByLabel("Name (required)").fill(keyName);
      await page.getByLabel("Role").selectOption("Viewer");
      await page.getByRole("button", { name: "Create key" }).click();
      const secret = (await page.getByTestId("secret").textContent()) ?? "";
      expect(secret).toMatch(/^nxk_eu_/);
      const withKey = (key: string) =>
        fetch(`${stack.eu}/api/v1/crm/contacts?limit=1`, { headers: { "X-API-Key": key } });
      expect((await withKey(secret)).status).toBe(200);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: "test-results/console-api-key-created.png", fullPage: true });
      await page.getByRole("button", { name: "I have stored it" }).click();
      // The list shows a key by its hint (prefix … last four characters), never the secret.
      const rowOf = (key: string) => page.getByRole("row").filter({ hasText: `…${key.slice(-4)}` });
      await expect.poll(() => rowOf(secret).textContent()).toContain("active");
      expect(await page.getByText(secret).count()).toBe(0);
      await rowOf(secret)
        .getByRole("button", { name: /^Rotate / })
        .click();
      await page.getByText(`Rotated key “${keyName}”`).waitFor();
      const rotated = (await page.getByTestId("secret").textContent()) ?? "";
      expect(rotated).toMatch(/^nxk_eu_/);
      expect(rotated).not.toBe(secret);
      expect((await withKey(rotated)).status).toBe(200);
      expect((await withKey(secret)).status).toBe(200);
      await page.getByRole("button", { name: "I have stored it" }).click();
      await expect.poll(() => rowOf(secret).textContent()).toContain("grace period");
      await rowOf(rotated)
        .getByRole("button", { name: /^Revoke / })
        .click();
      await page
        .getByRole("status")
        .filter({ hasText: `Revoked “${keyName}”.` })
        .waitFor();
      await expect.poll(() => rowOf(rotated).textContent()).toContain("revoked");
      await until("the revoked key refused", 60_000, async () =>
        (await withKey(rotated)).status === 401 ? true : undefined,
      );
      await page.screenshot({ path: "test-results/console-api-key-revoked.png", fullPage: true });

      // The contact's event reached the endpoint; the console shows the delivery and replays it.
      // Other test files may change the demo tenant meanwhile: this contact's event is found by name.
      const ours = (r: ReceivedWebhook) => {
        const event = JSON.parse(r.body) as { event_type: string; data: { first_name?: string } };
        return event.event_type === "contact.created" && event.data.first_name === firstName;
      };
      const firstCopy = await until("contact.created at the receiver", 60_000, async () =>
        received.find(ours),
      );
      const eventId = (JSON.parse(firstCopy.body) as { event_id: string }).event_id;
      expect(
        (verifyStandard(signingSecret ?? "", firstCopy) as { data: { first_name: string } }).data.first_name,
      ).toBe(firstName);
      await open(page, "Webhooks", "Webhooks");
      await page.getByRole("button", { name: `Show deliveries of ${receiver.url}/hooks/${HOOK}` }).click();
      const deliveryRow = page.getByRole("row").filter({ hasText: eventId });
      await until("the delivery shown as succeeded", 60_000, async () => {
        if ((await deliveryRow.count()) === 1 && (await deliveryRow.textContent())?.includes("succeeded"))
          return true;
        await page.getByRole("button", { name: "Refresh deliveries" }).click();
        return undefined;
      });
      expect(await deliveryRow.textContent()).toContain("HTTP 200");
      await deliveryRow.getByRole("button", { name: "Replay the contact.created delivery" }).click();
      await page.getByRole("status").filter({ hasText: "Replaying the contact.created delivery" }).waitFor();
      const secondCopy = await until("the replayed copy", 60_000, async () => {
        const copies = received.filter(ours);
        return copies.length >= 2 ? copies[1] : undefined;
      });
      // The same message (Standard Webhooks: one id across retries and replays), signed afresh.
      expect(secondCopy.headers["webhook-id"]).toBe(firstCopy.headers["webhook-id"]);
      verifyStandard(signingSecret ?? "", secondCopy);
      await until("two attempts shown", 60_000, async () => {
        await page.getByRole("button", { name: "Refresh deliveries" }).click();
        const cells = await deliveryRow.getByRole("cell").allTextContents();
        return cells[2] === "2" && cells[1] === "succeeded" ? true : undefined;
      });
      await deliveryRow.getByRole("button", { name: "Attempts of the contact.created delivery" }).click();
      const attempts = page.getByRole("table", { name: /Attempts of delivery/ }).getByRole("row");
      await expect.poll(() => attempts.count()).toBe(3);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: "test-results/console-webhook-replayed.png", fullPage: true });
      const endpoints = (await (
        await fetch(`${stack.eu}/api/v1/webhooks/endpoints?limit=200`, {
          headers: { Authorization: `Bearer ${accessToken}` },
        })
      ).json()) as { data: { id: string; url: string }[] };
      endpointId = endpoints.data.find((e) => e.url.endsWith(`/hooks/${HOOK}`))?.id;

      // The overview charts the last 24 hours, this session's own requests and events included.
      await open(page, "Overview", "Overview");
      await until("this session's requests counted", 30_000, async () => {
        await page.getByRole("button", { name: "Refresh" }).click();
        const total = Number(await page.getByTestId("total-requests").textContent());
        return total >= 10 ? true : undefined;
      });
      const requests = page.getByTestId("chart-requests").locator('polyline[data-series="Requests"]');
      expect(await requests.getAttribute("data-points")).toBe("24");
      // The last hour's point is off the baseline (this session's requests are in it).
      const points = ((await requests.getAttribute("points")) ?? "").split(" ");
      const [, lastY] = (points.at(-1) ?? "").split(",").map(Number);
      const [, baseY] = (points.at(0) ?? "").split(",").map(Number);
      expect(lastY).toBeLessThan(baseY ?? 0);
      const events = page.getByTestId("chart-events").locator("polyline");
      expect(await events.getAttribute("data-points")).toBe("24");
      const webhookRate = page.getByTestId("chart-webhooks").locator("polyline");
      expect(Number(await webhookRate.getAttribute("data-points"))).toBeGreaterThanOrEqual(1);
      expect(await page.getByRole("img", { name: /API requests and rate-limit refusals/ }).count()).toBe(1);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: "test-results/console-overview.png", fullPage: true });

      // An invoice made and finalized through the API shows its payment state, and its PDF
      // downloads through the page (a same-origin blob: the token never goes into a link).
      const api = (path: string, body?: unknown) =>
        fetch(`${stack.eu}${path}`, {
          method: "POST",
          headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }).then(async (r) => ((await r.json()) as { data: { id: string; number: string | null } }).data);
      const draft = await api("/api/v1/finance/invoices", {
        currency: "EUR",
        due_date: "2026-12-31",
        customer: { name: `Console Customer ${RUN}`, email: "customer@example.com" },
        lines: [{ description: "Consulting", quantity: 2, unit_price: "150.00", tax_rate: "19" }],
      });
      const invoice = await api(`/api/v1/finance/invoices/${draft.id}/finalize`);
      expect(invoice.number).toMatch(/^INV-/);
      await open(page, "Invoices", "Invoices");
      const invoiceRow = page.getByRole("row").filter({ hasText: `Console Customer ${RUN}` });
      await expect.poll(() => invoiceRow.textContent()).toContain("open");
      expect(await invoiceRow.textContent()).toContain("357.00");
      const download = page.waitForEvent("download");
      await invoiceRow.getByRole("button", { name: `Download PDF of ${invoice.number}` }).click();
      const file = await download;
      expect(file.suggestedFilename()).toBe(`${invoice.number}.pdf`);
      const pdf = readFileSync((await file.path()) ?? "");
      expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: "test-results/console-invoices.png", fullPage: true });

      // The other screens open and pass the same accessibility check.
      for (const [link, heading] of [
        ["Leads", "Leads"],
        ["Opportunities", "Opportunities"],
        ["Members", "Members and roles"],
        ["Audit log", "Audit log"],
        ["Settings", "Settings"],
      ] as const) {
        await open(page, link, heading);
        await page.getByRole("table").first().waitFor();
        expect(await seriousViolations(page)).toEqual([]);
      }
      // Settings: a field's label changed here reaches the tenant's definitions (and is put back:
      // other test files share the demo tenant).
      const label = page.getByLabel("Label of engagement_partner");
      const original = await label.inputValue();
      const definitions = async () =>
        (
          (await (
            await fetch(`${stack.eu}/api/v1/nexus/tenant`, {
              headers: { Authorization: `Bearer ${accessToken}` },
            })
          ).json()) as { data: { custom_fields: { contact: { key: string; label: string }[] } } }
        ).data.custom_fields.contact;
      for (const text of [`Engagement partner ${RUN}`, original]) {
        await page.getByLabel("Label of engagement_partner").fill(text);
        await page.getByRole("button", { name: "Save contact fields" }).click();
        await page.getByRole("status").filter({ hasText: "Saved the contact fields." }).waitFor();
        await expect
          .poll(async () => (await definitions()).find((d) => d.key === "engagement_partner")?.label)
          .toBe(text);
        await expect.poll(() => page.getByLabel("Label of engagement_partner").inputValue()).toBe(text);
      }
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: "test-results/console-settings.png", fullPage: true });

      expect(external).toEqual([]);
      expect(cspReports).toEqual([]);
    } finally {
      await browser.close();
      if (endpointId) {
        await fetch(`${stack.eu}/api/v1/webhooks/endpoints/${endpointId}`, {
          method: "DELETE",
          headers: { Authorization: `Bearer ${accessToken}` },
        });
      }
    }
  });

  it("keeps its tokens in memory: a 401 refreshes, a reload asks only for consent, sign out revokes", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const tokens = recordTokens(page);
      await page.goto(`${stack.eu}/console/`);
      await signIn(page, DEMO_TENANTS.eu.ownerEmail);
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      await expect.poll(() => tokens.length).toBe(1);

      // The API answers one request 401 (as for an expired token): the page refreshes with its
      // refresh token (rotated by the server) and sends the request again with the new token.
      let refused = 0;
      await page.route(`${stack.eu}/api/v1/iam/audit**`, async (route) => {
        if (refused++ === 0) {
          await route.fulfill({
            status: 401,
            contentType: "application/json",
            headers: { "WWW-Authenticate": 'Bearer realm="nexus", error="invalid_token"' },
            body: JSON.stringify({
              status: "error",
              errors: [{ code: "UNAUTHENTICATED", message: "expired" }],
            }),
          });
        } else {
          await route.continue();
        }
      });
      const audits: string[] = [];
      page.on("request", (r) => {
        if (r.url().startsWith(`${stack.eu}/api/v1/iam/audit`)) audits.push(r.headers().authorization ?? "");
      });
      await open(page, "Audit log", "Audit log");
      await expect.poll(() => audits.length).toBe(2);
      await expect.poll(() => tokens.length).toBe(2);
      expect(audits[0]).toBe(`Bearer ${tokens[0]?.access_token}`);
      expect(audits[1]).toBe(`Bearer ${tokens[1]?.access_token}`);
      expect(tokens[1]?.refresh_token).not.toBe(tokens[0]?.refresh_token);
      await page.getByRole("table", { name: "Audit entries, newest first" }).waitFor();
      expect(await page.getByRole("alert").count()).toBe(0);

      // A reload forgets the tokens; the authorization server remembers the person (its own
      // session cookie), so signing in again is the consent step alone.
      await page.reload();
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL((url) => url.pathname === "/oauth/authorize");
      expect(await page.getByLabel("Password").count()).toBe(0);
      await page.getByRole("button", { name: "Allow" }).click();
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      await expect.poll(() => tokens.length).toBe(3);

      // Sign out revokes the grant: its refresh token buys nothing any more. One try only: a
      // second would fail anyway, as the reuse of a rotated token.
      const revoked = page.waitForResponse((r) => r.url() === `${stack.eu}/oauth/revoke`);
      await page.getByRole("button", { name: "Sign out" }).click();
      expect((await revoked).status()).toBe(200);
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      const afterSignOut = await fetch(`${stack.eu}/oauth/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          client_id: "nexus-console",
          refresh_token: tokens[2]?.refresh_token ?? "",
        }),
      });
      expect(afterSignOut.status).toBe(400);
      expect(((await afterSignOut.json()) as { error: string }).error).toBe("invalid_grant");
    } finally {
      await browser.close();
    }
  });

  it("turns away a member whose role is not Owner or Admin", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${stack.eu}/console/`);
      await signIn(page, DEMO_TENANTS.eu.ownerEmail.replace("owner@", "member@"));
      await page.getByRole("alert").filter({ hasText: "your role is Member" }).waitFor();
      expect(await page.getByRole("navigation", { name: "Console" }).count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
