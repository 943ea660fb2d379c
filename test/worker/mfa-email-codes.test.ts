import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call } from "./helpers";
import { iam, memberWhoCanSignIn, unique } from "./iam-helpers";
import { waitForMail } from "./mail-helpers";
import { passwordStep } from "./mfa-helpers";
import { exchangeCode, randomIp, rows, tokensFor } from "./oauth-helpers";

const CODE_MAIL = "Your Nexus Edge sign-in code";
const codeOf = (subject: string) => /([0-9]{8})$/.exec(subject)?.[1] ?? "";

async function enrolEmailCodes(email: string) {
  const { access_token } = await tokensFor({ email });
  const start = await call("/api/v1/iam/mfa/email", { method: "POST", token: access_token });
  expect(start.status).toBe(202);
  const [mail] = await waitForMail(email, 1, CODE_MAIL);
  const code = codeOf(mail?.subject ?? "");
  expect(code).toMatch(/^[0-9]{8}$/);
  const wrong = await call("/api/v1/iam/mfa/email/verify", {
    method: "POST",
    token: access_token,
    json: { code: code === "00000000" ? "11111111" : "00000000" },
  });
  expect(wrong.status).toBe(400);
  const ok = await call("/api/v1/iam/mfa/email/verify", {
    method: "POST",
    token: access_token,
    json: { code },
  });
  expect(ok.status).toBe(204);
  return access_token;
}

describe("e-mailed one-time codes as a second factor", () => {
  it("enrols, then sign-in e-mails a code that works once", async () => {
    const user = await memberWhoCanSignIn("Member");
    await enrolEmailCodes(user.email);
    const { step1, html, post, verifier } = await passwordStep(user.email);
    expect(step1.status).toBe(200);
    expect(html).toContain('name="mfa_ticket"');
    expect(html).toContain("We e-mailed an 8-digit code");
    expect(html).not.toContain(user.email);
    const [mail] = await waitForMail(user.email, 2, CODE_MAIL);
    const code = codeOf(mail?.subject ?? "");
    expect(mail?.html).toContain(code);

    // Hashed under the data key, never the code itself.
    const stored = await rows<{ code_hash: string }>(
      sql`select code_hash from one_time_codes where user_id = ${user.id} order by created_at desc limit 1`,
    );
    expect(stored[0]?.code_hash).not.toContain(code);

    const done = await post({ totp: code });
    expect(done.status).toBe(303);
    const authCode = new URL(done.headers.get("Location") ?? "").searchParams.get("code") ?? "";
    expect((await exchangeCode(authCode, verifier)).status).toBe(200);

    const again = await passwordStep(user.email);
    // The new step sends a new code; the spent one is refused.
    expect((await again.post({ totp: code })).status).toBe(401);
  });

  it("throttles sending and burns a code after five wrong tries", async () => {
    const user = await memberWhoCanSignIn("Member");
    await enrolEmailCodes(user.email);
    const { post } = await passwordStep(user.email);
    const [mail] = await waitForMail(user.email, 2, CODE_MAIL);
    const code = codeOf(mail?.subject ?? "");

    // A second code at once is refused (one per 30 s): no new mail.
    const resend = await post({ resend: "email" });
    expect(resend.status).toBe(200);
    expect(await resend.text()).toContain("A code was sent a moment ago");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await waitForMail(user.email, 1, CODE_MAIL)).length).toBe(2);

    const wrong = code === "12345678" ? "87654321" : "12345678";
    // The sign-in throttle slows one address after three failures…
    for (let i = 0; i < 3; i++) expect((await post({ totp: wrong })).status).toBe(401);
    expect((await post({ totp: wrong })).status).toBe(429);
    // …and the code itself is burned by its fifth wrong try, from wherever it comes.
    for (let i = 0; i < 2; i++) expect((await post({ totp: wrong }, randomIp())).status).toBe(401);
    expect((await post({ totp: code }, randomIp())).status).toBe(401);
    const [row] = await rows<{ attempts: number; used_at: string | null }>(
      sql`select attempts, used_at from one_time_codes where user_id = ${user.id} order by created_at desc limit 1`,
    );
    expect(Number(row?.attempts)).toBe(5);
    expect(row?.used_at).not.toBeNull();
  });

  it("a tenant requiring MFA for a role e-mails codes to its members who have no factor", async () => {
    const roleName = unique("Guarded");
    const role = await iam("/roles", {
      method: "POST",
      json: { name: roleName, permissions: ["crm.contacts.read"] },
    });
    expect(role.res.status).toBe(201);
    const covered = await memberWhoCanSignIn(roleName);
    const free = await memberWhoCanSignIn("Member");

    const bad = await iam("/mfa-policy", {
      method: "PUT",
      json: { required: "roles", roles: ["NoSuchRole"] },
    });
    expect(bad.res.status).toBe(400);
    const put = await iam("/mfa-policy", { method: "PUT", json: { required: "roles", roles: [roleName] } });
    expect(put.res.status).toBe(200);
    expect(put.body.data).toMatchObject({ required: "roles", roles: [roleName], allow_sms: false });
    try {
      const guarded = await passwordStep(covered.email);
      expect(guarded.html).toContain('name="mfa_ticket"');
      const [mail] = await waitForMail(covered.email, 1, CODE_MAIL);
      expect((await guarded.post({ totp: codeOf(mail?.subject ?? "") })).status).toBe(303);

      // A member the rule does not cover signs in with the password alone.
      const open = await passwordStep(free.email);
      expect(open.step1.status).toBe(303);
    } finally {
      await iam("/mfa-policy", { method: "PUT", json: { required: "off" } });
    }
    expect((await iam("/mfa-policy")).body.data).toMatchObject({ required: "off" });
  });

  it("a Viewer cannot change the tenant's rule", async () => {
    const viewer = await memberWhoCanSignIn("Viewer");
    const { access_token } = await tokensFor({ email: viewer.email });
    const res = await iam("/mfa-policy", { method: "PUT", token: access_token, json: { required: "all" } });
    expect(res.res.status).toBe(403);
  });
});
