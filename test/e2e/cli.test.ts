import { readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { DEMO_PASSWORD, DEMO_TENANTS } from "../../db/seed/demo";
import { verifyWebhook } from "../../packages/client/src/index";
import { launchChromium } from "../support/chromium";
import { cliConfigDir, nexus, nexusProcess } from "../support/nexus-cli";

const stack = inject("e2e");
const config = cliConfigDir();
const credentials = () => JSON.parse(readFileSync(join(config, "credentials.json"), "utf8"));

/** `nexus login` as a user runs it: the CLI prints the sign-in URL, the user signs in in a browser. */
async function loginThroughBrowser(dir: string, email: string) {
  const login = nexusProcess(dir, ["login", "--no-browser", "--base-url", stack.eu]);
  const [url] = await login.waitFor(/http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+/);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Allow" }).click();
    await page.getByText("You can close this window").waitFor();
    expect(await login.exited).toBe(0);
  } finally {
    await browser.close();
  }
  return login;
}

/** A local receiver like a developer's app: records each request with its raw body. */
async function receiver() {
  const received: { headers: IncomingMessage["headers"]; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("the nexus CLI against npm run dev", () => {
  beforeAll(async () => {
    const login = await loginThroughBrowser(config, DEMO_TENANTS.eu.ownerEmail);
    expect(login.stdout()).toContain("Signed in.");
  }, 120_000);

  it("login keeps the tokens in a file only its owner can read", () => {
    const file = join(config, "credentials.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(config).mode & 0o777).toBe(0o700);
    const stored = credentials().profiles.default;
    expect(stored.base_url).toBe(stack.eu);
    expect(stored.tokens.access_token).toMatch(/^ey/);
    expect(stored.tokens.refresh_token).toBeTruthy();
  });

  it("whoami and contacts list (a table, and --json)", async () => {
    const who = await nexus(config, ["whoami", "--json"]);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({
      email: DEMO_TENANTS.eu.ownerEmail,
      role: "Owner",
      tenant_id: DEMO_TENANTS.eu.tenantId,
      region: "eu",
    });
    const table = await nexus(config, ["contacts", "list", "--tag", "demo"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+EMAIL\s+COMPANY\s+UPDATED$/);
    expect(lines).toHaveLength(4);
    const json = await nexus(config, ["--json", "contacts", "list", "--tag", "demo", "--limit", "2"]);
    expect(JSON.parse(json.stdout)).toHaveLength(2);
  });

  it("contacts create, then invoices create and finalize", async () => {
    const created = await nexus(config, [
      "--json",
      "contacts",
      "create",
      "--first-name",
      "Ada",
      "--email",
      `ada-${Date.now()}@example.com`,
      "--field",
      "client_status=prospect",
    ]);
    expect(created.code).toBe(0);
    const contact = JSON.parse(created.stdout);
    expect(contact.custom_fields).toEqual({ client_status: "prospect" });

    // A helpful error: the API's own words, the field, the request id.
    const refused = await nexus(config, [
      "contacts",
      "create",
      "--first-name",
      "Bo",
      "--email",
      "not-an-email",
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/VALIDATION_ERROR \(email\)/);
    expect(refused.stderr).toMatch(/request id: [0-9a-f-]{36}/);

    const draft = await nexus(config, [
      "--json",
      "invoices",
      "create",
      "--customer",
      "Ada Lovelace",
      "--customer-email",
      "ada@example.com",
      "--currency",
      "EUR",
      "--due-date",
      "2027-01-31",
      "--line",
      "Consulting:2:150.00:19",
    ]);
    expect(draft.code).toBe(0);
    const invoice = JSON.parse(draft.stdout);
    expect(invoice).toMatchObject({ status: "draft", total: "357.00" });
    const finalized = await nexus(config, ["invoices", "finalize", invoice.id]);
    expect(finalized.code).toBe(0);
    expect(finalized.stdout).toMatch(/^Finalized INV-\d{6}/);
    const listed = await nexus(config, ["--json", "invoices", "list", "--status", "open"]);
    expect(JSON.parse(listed.stdout).map((i: { id: string }) => i.id)).toContain(invoice.id);
  });

  it("keys create, rotate and revoke; the created key works as --api-key", async () => {
    const created = await nexus(config, [
      "--json",
      "keys",
      "create",
      "--name",
      "cli-e2e",
      "--role",
      "Viewer",
      "--scope",
      "crm:read",
    ]);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key.secret).toMatch(/^nxk_eu_/);
    const asKey = await nexus(config, [
      "--json",
      "--api-key",
      key.secret,
      "contacts",
      "list",
      "--limit",
      "1",
    ]);
    expect(asKey.code).toBe(0);

    const rotated = await nexus(config, ["--json", "keys", "rotate", key.id, "--grace-period", "0"]);
    expect(rotated.code).toBe(0);
    const next = JSON.parse(rotated.stdout);
    expect(next.previous.id).toBe(key.id);
    const revoked = await nexus(config, ["keys", "revoke", next.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${next.id}`);
    const refused = await nexus(config, ["--api-key", next.secret, "contacts", "list"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("401");
  });

  it("webhooks listen forwards a live event, signed with the secret it printed", async () => {
    const hook = await receiver();
    const listen = nexusProcess(config, [
      "webhooks",
      "listen",
      "--forward-to",
      hook.url,
      "--events",
      "contact.",
      "--count",
      "1",
    ]);
    try {
      const [, secret] = await listen.waitFor(/signing secret is (whsec_\S+)/);
      await listen.waitFor(/Forwarding contact\./);
      const email = `hook-${Date.now()}@example.com`;
      const created = await nexus(config, [
        "--json",
        "contacts",
        "create",
        "--first-name",
        "Hook",
        "--email",
        email,
        "--field",
        "client_status=prospect",
      ]);
      expect(created.code).toBe(0);
      expect(await listen.exited).toBe(0);
      expect(hook.received).toHaveLength(1);
      const [delivery] = hook.received;
      const headers = Object.fromEntries(Object.entries(delivery!.headers).map(([k, v]) => [k, String(v)]));
      const event = await verifyWebhook<{ event_type: string; data: { email: string } }>({
        secret: secret!,
        body: delivery!.body,
        headers,
      });
      expect(event).toMatchObject({ event_type: "contact.created", data: { email } });
      // The reference library accepts it too, as it accepts the API's own deliveries.
      expect(new Webhook(secret!).verify(delivery!.body, headers)).toBeTruthy();
      expect(listen.stdout()).toMatch(/<-- \[200\] POST/);
    } finally {
      await listen.stop();
      await hook.close();
    }
  });

  it("events tail prints live events as JSON lines", async () => {
    const tail = nexusProcess(config, [
      "--json",
      "events",
      "tail",
      "--type",
      "contact.created",
      "--count",
      "1",
    ]);
    try {
      await tail.waitFor(/Listening for contact\.created/);
      const email = `tail-${Date.now()}@example.com`;
      await nexus(config, [
        "contacts",
        "create",
        "--first-name",
        "Tail",
        "--email",
        email,
        "--field",
        "client_status=prospect",
      ]);
      expect(await tail.exited).toBe(0);
      const event = JSON.parse(tail.stdout().trim());
      expect(event).toMatchObject({
        event_type: "contact.created",
        tenant_id: DEMO_TENANTS.eu.tenantId,
        data: { email },
      });
    } finally {
      await tail.stop();
    }
  });

  it("refreshes an expired access token and stores the rotated refresh token", async () => {
    const file = credentials();
    const before = file.profiles.default.tokens;
    file.profiles.default.tokens.expires_at = Date.now() - 1000;
    writeFileSync(join(config, "credentials.json"), JSON.stringify(file), { mode: 0o600 });
    const who = await nexus(config, ["whoami", "--json"]);
    expect(who.code).toBe(0);
    const after = credentials().profiles.default.tokens;
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.access_token).not.toBe(before.access_token);
    expect(statSync(join(config, "credentials.json")).mode & 0o777).toBe(0o600);
  });

  it("says what to do when not signed in, and --help works on every command", async () => {
    const empty = cliConfigDir();
    const out = await nexus(empty, ["contacts", "list"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("not signed in: run `nexus login`");
    for (const args of [
      ["--help"],
      ["keys", "rotate", "--help"],
      ["webhooks", "listen", "--help"],
      ["activate", "--help"],
    ]) {
      const help = await nexus(empty, args);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Usage: nexus");
    }
  });
});
