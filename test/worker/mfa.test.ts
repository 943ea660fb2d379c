import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../workers/api/auth/credentials/base32";
import { hotp } from "../../workers/api/auth/credentials/hotp";
import { hashPassword } from "../../workers/api/auth/credentials/password";
import { totpStep } from "../../workers/api/auth/credentials/totp";
import { TEST_TENANTS } from "../support/tenants";
import { call, envelope } from "./helpers";
import {
  asTenant,
  DEMO_PASSWORD,
  exchangeCode,
  formField,
  openSignIn,
  pkcePair,
  postAuthorize,
  rows,
  tokensFor,
} from "./oauth-helpers";

const tenantB = TEST_TENANTS.b.tenantId;
const memberRoleB = `${tenantB.slice(0, -4)}0003`;

/** A user of its own, so enabling MFA here changes no other test's sign-in. */
async function freshMember() {
  const id = crypto.randomUUID();
  const email = `mfa-${id}@tenant-b.example`;
  await rows(sql`insert into users (id, email, name, password_hash)
                 values (${id}, ${email}, 'MFA Tester', ${await hashPassword(DEMO_PASSWORD)})`);
  await asTenant(
    tenantB,
    sql`insert into memberships (tenant_id, user_id, role_id) values (${tenantB}, ${id}, ${memberRoleB})`,
  );
  return { id, email };
}

const codeAt = async (secret: string, offsetSteps = 0) =>
  hotp(decodeBase32(secret), totpStep(Date.now()) + offsetSteps);

async function enrol(email: string) {
  const { access_token } = await tokensFor({ email });
  const start = await call("/api/v1/iam/mfa/totp", { method: "POST", token: access_token });
  expect(start.status).toBe(200);
  const { data } = await envelope<{ secret: string; otpauth_uri: string }>(start);
  expect(data.otpauth_uri).toMatch(/^otpauth:\/\/totp\/Nexus%20Edge:/);
  expect(data.otpauth_uri).toContain(`secret=${data.secret}`);
  const confirm = await call("/api/v1/iam/mfa/totp/verify", {
    method: "POST",
    token: access_token,
    json: { code: await codeAt(data.secret) },
  });
  expect(confirm.status).toBe(200);
  const codes = (await envelope<{ recovery_codes: string[] }>(confirm)).data.recovery_codes;
  expect(codes).toHaveLength(10);
  // At rest: the seed only as AES-GCM ciphertext, the codes only as salted hashes.
  const [stored] = await rows<{ totp_secret: string }>(
    sql`select totp_secret from users where lower(email) = lower(${email})`,
  );
  expect(stored?.totp_secret).toMatch(/^v1\./);
  expect(stored?.totp_secret).not.toContain(data.secret);
  const hashes = await rows<{ code_hash: string }>(
    sql`select code_hash from recovery_codes rc join users u on u.id = rc.user_id where lower(u.email) = lower(${email})`,
  );
  expect(hashes).toHaveLength(10);
  for (const c of codes) expect(hashes.some((h) => h.code_hash.includes(c))).toBe(false);
  return { secret: data.secret, codes, token: access_token };
}

/** Password first; the page then asks for the code and carries a ticket. */
async function signInWithSecondFactor(email: string, code: string) {
  const { verifier, challenge } = await pkcePair();
  const o = { challenge };
  const { jar, ip, csrf } = await openSignIn(o);
  const step1 = await postAuthorize(o, jar, ip, {
    csrf_token: csrf,
    email,
    password: DEMO_PASSWORD,
    consent: "approve",
  });
  expect(step1.status).toBe(200);
  const html = await step1.text();
  expect(html).toContain('name="totp"');
  const ticket = formField(html, "mfa_ticket") ?? "";
  const step2 = await postAuthorize(o, jar, ip, {
    csrf_token: formField(html, "csrf_token") ?? "",
    mfa_ticket: ticket,
    totp: code,
    consent: "approve",
  });
  return { step2, verifier };
}

describe("MFA (TOTP, RFC 6238)", () => {
  it("enrols, then sign-in needs the code; a used code is refused the second time", async () => {
    const { email } = await freshMember();
    const { secret } = await enrol(email);
    // The enrolment used the current step: sign in with the next one (±1 step is accepted).
    const next = await codeAt(secret, 1);
    const { step2, verifier } = await signInWithSecondFactor(email, next);
    expect(step2.status).toBe(303);
    const code = new URL(step2.headers.get("Location") ?? "").searchParams.get("code") ?? "";
    expect((await exchangeCode(code, verifier)).status).toBe(200);

    const replay = await signInWithSecondFactor(email, next);
    expect(replay.step2.status).toBe(401);
    expect(replay.step2.headers.get("Location")).toBeNull();
  });

  it("refuses a code outside the ±1 step window", async () => {
    const { email } = await freshMember();
    const { secret } = await enrol(email);
    const { step2 } = await signInWithSecondFactor(email, await codeAt(secret, 3));
    expect(step2.status).toBe(401);
  });

  it("accepts each recovery code once", async () => {
    const { email } = await freshMember();
    const { codes } = await enrol(email);
    const first = await signInWithSecondFactor(email, codes[0] ?? "");
    expect(first.step2.status).toBe(303);
    const again = await signInWithSecondFactor(email, codes[0] ?? "");
    expect(again.step2.status).toBe(401);
  });

  it("a forged MFA ticket is refused", async () => {
    const { challenge } = await pkcePair();
    const o = { challenge };
    const { jar, ip, csrf } = await openSignIn(o);
    const res = await postAuthorize(o, jar, ip, {
      csrf_token: csrf,
      mfa_ticket: "e30.AAAA",
      totp: "123456",
      consent: "approve",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("Location")).toBeNull();
  });

  it("disabling needs the password and a current code", async () => {
    const { email } = await freshMember();
    const { secret, token } = await enrol(email);
    const wrongPassword = await call("/api/v1/iam/mfa/disable", {
      method: "POST",
      token,
      json: { password: "not-my-password", code: await codeAt(secret, 1) },
    });
    expect(wrongPassword.status).toBe(400);
    expect((await envelope(wrongPassword)).errors?.[0]?.field).toBe("password");
    const ok = await call("/api/v1/iam/mfa/disable", {
      method: "POST",
      token,
      json: { password: DEMO_PASSWORD, code: await codeAt(secret, 1) },
    });
    expect(ok.status).toBe(204);
    // Password alone signs in again.
    expect((await tokensFor({ email })).access_token).toBeTruthy();
  });

  it("audits enabling and disabling, for the user's tenant", async () => {
    const { id, email } = await freshMember();
    const { secret, token } = await enrol(email);
    await call("/api/v1/iam/mfa/disable", {
      method: "POST",
      token,
      json: { password: DEMO_PASSWORD, code: await codeAt(secret, 1) },
    });
    const [entries = []] = await asTenant(
      tenantB,
      sql`select action from audit_log where actor_id = ${id} and action like 'mfa.%' order by created_at`,
    );
    expect(entries.map((e) => (e as { action: string }).action)).toEqual(["mfa.enabled", "mfa.disabled"]);
  });
});
