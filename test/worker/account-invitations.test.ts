import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { TEST_TENANTS } from "../support/tenants";
import { iam, jwtPayload, unique } from "./iam-helpers";
import { AccountBrowser, linkIn, mailTo, strongPassword, waitForMail } from "./mail-helpers";
import { rows, tokensFor } from "./oauth-helpers";

const C = TEST_TENANTS.c;

describe("invitations by e-mail", () => {
  it("an invited newcomer sets a password from the e-mail and signs in; the link works once", async () => {
    const email = `${unique("invitee")}@example.com`;
    const added = await iam("/members", { method: "POST", json: { email, role: "Manager" } });
    expect(added.res.status).toBe(201);
    const userId = (added.body.data as { id: string }).id;

    const [message] = await waitForMail(email);
    if (!message) throw new Error("unreachable");
    expect(message.subject).toContain(C.name);
    expect(message.text).toContain("Manager");
    expect(message.html).toContain("/oauth/invitation?token=");
    const link = linkIn(message, "/oauth/invitation");
    const url = new URL(link);
    const token = url.searchParams.get("token") ?? "";

    // Hashed at rest: the token itself is in no row; the outbox row has lost its sealed message.
    const stored = await rows<{ token_hash: string }>(
      sql`select token_hash from account_tokens where user_id = ${userId} and purpose = 'invitation'`,
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]?.token_hash).not.toContain(token);
    const outbox = await rows<{ sealed_message: string | null; sent_at: string | null }>(
      sql`select sealed_message, sent_at from mail_outbox where template = 'invitation' and sent_at is not null
          order by sent_at desc limit 20`,
    );
    expect(outbox.every((r) => r.sealed_message === null)).toBe(true);

    const browser = new AccountBrowser();
    const page = await browser.get(`${url.pathname}${url.search}`);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain(C.name);
    expect(page.html).toContain('name="password"');
    expect(page.res.headers.get("X-Frame-Options")).toBe("DENY");

    const weak = await browser.post("/oauth/invitation", {
      token,
      password: "password",
      password_confirm: "password",
    });
    expect(weak.res.status).toBe(400);
    const password = strongPassword();
    const mismatch = await browser.post("/oauth/invitation", {
      token,
      password,
      password_confirm: `${password}x`,
    });
    expect(mismatch.res.status).toBe(400);
    const joined = await browser.post("/oauth/invitation", { token, password, password_confirm: password });
    expect(joined.res.status).toBe(200);
    expect(joined.html).toContain(`Welcome to ${C.name}`);

    const tokens = await tokensFor({ email, password });
    const claims = jwtPayload(tokens.access_token);
    expect(claims).toMatchObject({ sub: userId, tenant_id: C.tenantId, role: "Manager" });
    const member = await iam(`/members/${userId}`);
    expect(member.body.data).toMatchObject({ status: "active", role: "Manager" });

    // Single use: the page and the form both refuse the spent link.
    expect((await browser.get(`${url.pathname}${url.search}`)).res.status).toBe(410);
    const again = await browser.post("/oauth/invitation", { token, password, password_confirm: password });
    expect(again.res.status).toBe(410);
  });

  it("an existing account accepts from the link without a new password, in French when asked", async () => {
    const email = `${unique("known")}@example.com`;
    await iam("/members", { method: "POST", json: { email, role: "Member" }, tenant: "a" });
    const [first] = await waitForMail(email);
    const firstLink = new URL(linkIn(first as NonNullable<typeof first>, "/oauth/invitation"));
    const password = strongPassword();
    const setUp = new AccountBrowser();
    await setUp.get(`${firstLink.pathname}${firstLink.search}`);
    expect(
      (
        await setUp.post("/oauth/invitation", {
          token: firstLink.searchParams.get("token") ?? "",
          password,
          password_confirm: password,
        })
      ).res.status,
    ).toBe(200);

    const added = await iam("/members", { method: "POST", json: { email, role: "Viewer", locale: "fr" } });
    expect(added.res.status).toBe(201);
    const messages = await waitForMail(email, 2);
    const french = messages[0];
    if (!french) throw new Error("unreachable");
    expect(french.subject).toBe(`Invitation à rejoindre ${C.name} sur Nexus Edge`);
    expect(french.html).toContain('lang="fr"');
    const link = new URL(linkIn(french, "/oauth/invitation"));
    const browser = new AccountBrowser();
    const page = await browser.get(`${link.pathname}${link.search}`);
    expect(page.html).toContain("Accept the invitation");
    expect(page.html).not.toContain('name="password"');
    const accepted = await browser.post("/oauth/invitation", { token: link.searchParams.get("token") ?? "" });
    expect(accepted.res.status).toBe(200);
    const member = await iam(`/members/${(added.body.data as { id: string }).id}`);
    expect(member.body.data).toMatchObject({ status: "active", role: "Viewer", email });
  });

  it("an expired invitation link is refused, and a removed invitation's link stops working", async () => {
    const email = `${unique("late")}@example.com`;
    const added = await iam("/members", { method: "POST", json: { email, role: "Member" } });
    const userId = (added.body.data as { id: string }).id;
    const [message] = await waitForMail(email);
    const link = new URL(linkIn(message as NonNullable<typeof message>, "/oauth/invitation"));
    await rows(
      sql`update account_tokens set expires_at = now() - interval '1 second' where user_id = ${userId}`,
    );
    const browser = new AccountBrowser();
    expect((await browser.get(`${link.pathname}${link.search}`)).res.status).toBe(410);

    const other = `${unique("withdrawn")}@example.com`;
    const second = await iam("/members", { method: "POST", json: { email: other, role: "Member" } });
    const [mail] = await waitForMail(other);
    const removed = await iam(`/members/${(second.body.data as { id: string }).id}`, { method: "DELETE" });
    expect(removed.res.status).toBe(204);
    const withdrawn = new URL(linkIn(mail as NonNullable<typeof mail>, "/oauth/invitation"));
    expect((await browser.get(`${withdrawn.pathname}${withdrawn.search}`)).res.status).toBe(410);
  });

  it("inviting someone already a member sends nothing", async () => {
    const email = `${unique("twice")}@example.com`;
    await iam("/members", { method: "POST", json: { email, role: "Member" } });
    await waitForMail(email);
    const again = await iam("/members", { method: "POST", json: { email, role: "Member" } });
    expect(again.res.status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await mailTo(email)).toHaveLength(1);
  });
});
