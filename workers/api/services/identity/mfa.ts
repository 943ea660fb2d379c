import { sql } from "drizzle-orm";
import { rowsOf, tenantRows } from "../../../../db/rows";
import { verifyPassword } from "../../auth/credentials/password";
import { generateRecoveryCodes, hashRecoveryCode } from "../../auth/credentials/recovery-codes";
import { openSecret, sealSecret } from "../../auth/credentials/secret-box";
import { generateTotpSecret, totpUri, verifyTotp } from "../../auth/credentials/totp";
import { requireDataKey } from "../../lib/data-key";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { auditInsert } from "./audit";
import { byActor } from "./audited-change";
import type { RequestInfo } from "./request-info";
import { checkSecondFactor } from "./sign-in";
import { claimTotpStep, findUserById, type SignInUser } from "./users";

const dataKeyOf = (key: string | undefined) => requireDataKey(key, "MFA");

/** The issuer shown in authenticator apps. */
const TOTP_ISSUER = "Nexus Edge";

async function currentUser(ctx: ServiceContext): Promise<SignInUser> {
  const user = await findUserById(ctx.db, ctx.actor.userId);
  // Client and API-key principals have no account to protect with MFA.
  if (!user) throw new ApiError("FORBIDDEN", "Only a signed-in user can manage MFA");
  return user;
}

const audit = (ctx: ServiceContext, info: RequestInfo, action: "mfa.enabled" | "mfa.disabled") =>
  auditInsert({ ...byActor(ctx, "user"), action, targetId: ctx.actor.userId }, info);

/**
 * Step 1 of enrolment: a fresh secret, kept pending (mfa_enabled stays false) until a code from
 * it is verified, so a half-finished enrolment never locks the user out.
 */
export async function startTotpEnrolment(
  ctx: ServiceContext,
  dataKey: string | undefined,
): Promise<{ secret: string; otpauth_uri: string }> {
  const key = dataKeyOf(dataKey);
  const user = await currentUser(ctx);
  if (user.mfa_enabled)
    throw new ApiError("CONFLICT", "MFA is already enabled; disable it first to re-enrol");
  const secret = generateTotpSecret();
  await rowsOf(
    ctx.db,
    sql`update users set totp_secret = ${await sealSecret(key, secret, user.id)}, totp_last_step = null where id = ${user.id}`,
  );
  return { secret, otpauth_uri: totpUri({ secret, accountName: user.email, issuer: TOTP_ISSUER }) };
}

/** Step 2: a valid code from the app turns MFA on and yields recovery codes, shown once. */
export async function confirmTotpEnrolment(
  ctx: ServiceContext,
  code: string,
  dataKey: string | undefined,
  info: RequestInfo,
): Promise<{ recovery_codes: string[] }> {
  const key = dataKeyOf(dataKey);
  const user = await currentUser(ctx);
  if (user.mfa_enabled) throw new ApiError("CONFLICT", "MFA is already enabled");
  if (!user.totp_secret) throw new ApiError("CONFLICT", "Start enrolment first (POST /api/v1/iam/mfa/totp)");
  const result = await verifyTotp({
    secret: await openSecret(key, user.totp_secret, user.id),
    code,
    lastUsedStep: null,
  });
  if (!result.ok || !(await claimTotpStep(ctx.db, user.id, result.step))) {
    throw new ApiError("VALIDATION_ERROR", "The code is not valid", { field: "code" });
  }
  const codes = generateRecoveryCodes();
  const hashes = await Promise.all(codes.map(hashRecoveryCode));
  await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`update users set mfa_enabled = true where id = ${user.id}`,
    sql`delete from recovery_codes where user_id = ${user.id}`,
    sql`insert into recovery_codes (user_id, code_hash) select ${user.id}::uuid, unnest(${sql.param(hashes)}::text[])`,
    audit(ctx, info, "mfa.enabled"),
  ]);
  return { recovery_codes: codes };
}

/** Turning MFA off needs the password and a current code again (re-authentication). */
export async function disableMfa(
  ctx: ServiceContext,
  input: { password: string; code: string },
  dataKey: string | undefined,
  info: RequestInfo,
): Promise<void> {
  const user = await currentUser(ctx);
  if (!user.mfa_enabled) throw new ApiError("CONFLICT", "MFA is not enabled");
  const password = user.password_hash
    ? await verifyPassword(input.password, user.password_hash)
    : { ok: false };
  if (!password.ok) {
    throw new ApiError("VALIDATION_ERROR", "The password is not right", { field: "password" });
  }
  const second = await checkSecondFactor(ctx.db, user, input.code, dataKeyOf(dataKey));
  if (second !== "ok" && second !== "recovery_code_used") {
    throw new ApiError("VALIDATION_ERROR", "The code is not valid", { field: "code" });
  }
  await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`update users set mfa_enabled = false, totp_secret = null, totp_last_step = null where id = ${user.id}`,
    sql`delete from recovery_codes where user_id = ${user.id}`,
    audit(ctx, info, "mfa.disabled"),
  ]);
}
