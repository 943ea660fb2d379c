import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { DeliveredSms } from "../../regions/sms-providers/server";
import { call } from "./helpers";
import { iam, memberWhoCanSignIn } from "./iam-helpers";
import { passwordStep } from "./mfa-helpers";
import { exchangeCode, rows, tokensFor } from "./oauth-helpers";

// SMS codes through the region's provider port, here Twilio's wire format at the stand-in
// (regions/sms-providers), whose inbox the tests read. Tenant d: its MFA rule is this file's.
const TENANT = "d" as const;

const newPhone = () => `+49151${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
const codeIn = (text: string) => /([0-9]{8})/.exec(text)?.[1] ?? "";

async function textsTo(phone: string, count: number): Promise<DeliveredSms[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`${inject("sms").url}/__inbox?to=${encodeURIComponent(phone)}`);
    const messages = (await res.json()) as DeliveredSms[];
    if (messages.length >= count) return messages;
    if (Date.now() > until) throw new Error(`no ${count} texts to ${phone} (got ${messages.length})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const allowSms = (allow_sms: boolean) =>
  iam("/mfa-policy", { method: "PUT", json: { required: "off", allow_sms }, tenant: TENANT });

async function enrolSms(email: string, phone: string) {
  const { access_token } = await tokensFor({ email });
  expect(
    (
      await call("/api/v1/iam/mfa/sms", {
        method: "POST",
        token: access_token,
        json: { phone_number: phone },
      })
    ).status,
  ).toBe(202);
  const [text] = await textsTo(phone, 1);
  expect(text?.provider).toBe("twilio");
  expect(text?.from).toBe("+4915700000000");
  const code = codeIn(text?.body ?? "");
  const wrong = code === "00000000" ? "11111111" : "00000000";
  expect(
    (await call("/api/v1/iam/mfa/sms/verify", { method: "POST", token: access_token, json: { code: wrong } }))
      .status,
  ).toBe(400);
  expect(
    (await call("/api/v1/iam/mfa/sms/verify", { method: "POST", token: access_token, json: { code } }))
      .status,
  ).toBe(204);
  return access_token;
}

describe("SMS codes as a second factor", () => {
  beforeAll(async () => {
    expect((await allowSms(true)).res.status).toBe(200);
  });

  it("is refused where the tenant's rule does not allow SMS, and for a number that is not E.164", async () => {
    const user = await memberWhoCanSignIn("Member", TENANT);
    const { access_token } = await tokensFor({ email: user.email });
    const bad = await call("/api/v1/iam/mfa/sms", {
      method: "POST",
      token: access_token,
      json: { phone_number: "0151 234" },
    });
    expect(bad.status).toBe(400);
    await allowSms(false);
    try {
      const phone = newPhone();
      const refused = await call("/api/v1/iam/mfa/sms", {
        method: "POST",
        token: access_token,
        json: { phone_number: phone },
      });
      expect(refused.status).toBe(403);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(
        await (await fetch(`${inject("sms").url}/__inbox?to=${encodeURIComponent(phone)}`)).json(),
      ).toEqual([]);
    } finally {
      await allowSms(true);
    }
  });

  it("enrols a number proved by a text, then sign-in texts a code that works once", async () => {
    const user = await memberWhoCanSignIn("Member", TENANT);
    const phone = newPhone();
    await enrolSms(user.email, phone);
    const [stored] = await rows<{ phone_number: string; sms_otp_enabled: boolean }>(
      sql`select phone_number, sms_otp_enabled from users where id = ${user.id}`,
    );
    expect(stored).toEqual({ phone_number: phone, sms_otp_enabled: true });

    const { step1, html, post, verifier } = await passwordStep(user.email);
    expect(step1.status).toBe(200);
    expect(html).toContain("We texted an 8-digit code to");
    expect(html).not.toContain(phone);
    expect(html).toContain('value="sms"');
    const [text] = await textsTo(phone, 2);
    const code = codeIn(text?.body ?? "");
    const done = await post({ totp: code });
    expect(done.status).toBe(303);
    const authCode = new URL(done.headers.get("Location") ?? "").searchParams.get("code") ?? "";
    expect((await exchangeCode(authCode, verifier)).status).toBe(200);
    // Spent, and a new sign-in texts a new one.
    expect((await (await passwordStep(user.email)).post({ totp: code })).status).toBe(401);
  });

  it("throttles texts like e-mailed codes, and stops being a factor when the tenant no longer allows SMS", async () => {
    const user = await memberWhoCanSignIn("Member", TENANT);
    const phone = newPhone();
    await enrolSms(user.email, phone);
    const { post } = await passwordStep(user.email);
    await textsTo(phone, 2);
    const resend = await post({ resend: "sms" });
    expect(resend.status).toBe(200);
    expect(await resend.text()).toContain("A code was sent a moment ago");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await textsTo(phone, 2)).toHaveLength(2);

    await allowSms(false);
    try {
      // No business of theirs allows SMS now, and none requires MFA: the password alone.
      const open = await passwordStep(user.email);
      expect(open.step1.status).toBe(303);
      expect(await textsTo(phone, 2)).toHaveLength(2);
    } finally {
      await allowSms(true);
    }
  });
});
