import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf, tenantRows } from "../../../../db/rows";
import { verifyPassword } from "../../auth/credentials/password";
import { ApiError } from "../../lib/errors";
import { SmsError, type SmsSender } from "../../sms/sms-port";
import type { ServiceContext } from "../context";
import { auditInsert } from "./audit";
import { byActor } from "./audited-change";
import { getMfaPolicy } from "./mfa-policy";
import { checkSignInCode, type SmsSendOutcome, sendSmsCode } from "./one-time-codes";
import type { RequestInfo } from "./request-info";
import { findUserById } from "./users";

/**
 * SMS sign-in codes as the caller's second factor (issue 18, item 3), for tenants whose MFA rule
 * allows them (`allow_sms`). The number is proved by a code sent to it before it counts; the
 * codes are the e-mailed ones' (8 digits, 10 minutes, 5 tries, the same throttle per channel).
 */
async function signedInUser(ctx: ServiceContext) {
  const user = await findUserById(ctx.db, ctx.actor.userId);
  if (!user) throw new ApiError("FORBIDDEN", "Only a signed-in user can manage MFA");
  return user;
}

function senderOf(sender: SmsSender | undefined): SmsSender {
  if (!sender) throw ApiError.unavailable("SMS codes are not available in this region", 60);
  return sender;
}

/** Throttled, or the provider did not take it: the caller's 429 or 503. */
export async function sendOrExplain(send: () => Promise<SmsSendOutcome>): Promise<void> {
  let outcome: SmsSendOutcome;
  try {
    outcome = await send();
  } catch (error) {
    if (error instanceof SmsError)
      throw ApiError.unavailable("The SMS provider did not take the message", 30, error);
    throw error;
  }
  if (!outcome.sent) {
    throw new ApiError(
      "RATE_LIMITED",
      `A code was sent recently; ask again in ${outcome.retryAfterSeconds} s`,
      {
        headers: { "Retry-After": String(outcome.retryAfterSeconds) },
      },
    );
  }
}

/** Step 1: remembers the number (not yet a factor) and texts a code to it. */
export async function startSmsEnrolment(
  ctx: ServiceContext,
  dataKey: string | undefined,
  sender: SmsSender | undefined,
  phone: string,
): Promise<void> {
  if (!(await getMfaPolicy(ctx)).allow_sms) {
    throw new ApiError("FORBIDDEN", "This business does not allow SMS codes (its MFA rule, allow_sms)");
  }
  const user = await signedInUser(ctx);
  if (user.sms_otp_enabled) throw new ApiError("CONFLICT", "SMS codes are already on");
  const smsSender = senderOf(sender);
  await rowsOf(ctx.db, sql`update users set phone_number = ${phone} where id = ${user.id} returning id`);
  await sendOrExplain(() => sendSmsCode(ctx.db, dataKey, smsSender, { id: user.id, phone }));
}

/** Step 2: the code from that text turns SMS codes on for the number it went to. */
export async function confirmSmsEnrolment(
  ctx: ServiceContext,
  code: string,
  dataKey: string | undefined,
  info: RequestInfo,
): Promise<void> {
  const user = await signedInUser(ctx);
  if (user.sms_otp_enabled) throw new ApiError("CONFLICT", "SMS codes are already on");
  if (!user.phone_number || (await checkSignInCode(ctx.db, dataKey, user.id, code.trim(), "sms")) !== "ok") {
    throw new ApiError("VALIDATION_ERROR", "The code is not valid", { field: "code" });
  }
  await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`update users set sms_otp_enabled = true where id = ${user.id}`,
    auditInsert(
      { ...byActor(ctx, "user"), action: "mfa.enabled", targetId: user.id, details: { factor: "sms" } },
      info,
    ),
  ]);
}

/** Off again, with the password; the number is forgotten. */
export async function disableSmsCodes(
  ctx: ServiceContext,
  password: string,
  info: RequestInfo,
): Promise<void> {
  const user = await signedInUser(ctx);
  if (!user.sms_otp_enabled) throw new ApiError("CONFLICT", "SMS codes are not on");
  const checked = user.password_hash ? await verifyPassword(password, user.password_hash) : { ok: false };
  if (!checked.ok) throw new ApiError("VALIDATION_ERROR", "The password is not right", { field: "password" });
  await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`update users set sms_otp_enabled = false, phone_number = null where id = ${user.id}`,
    sql`update one_time_codes set used_at = now() where user_id = ${user.id} and channel = 'sms' and used_at is null`,
    auditInsert(
      { ...byActor(ctx, "user"), action: "mfa.disabled", targetId: user.id, details: { factor: "sms" } },
      info,
    ),
  ]);
}

/** Sign-in: SMS codes count only while one of the user's businesses allows them (migration 0029). */
export async function smsAllowedFor(db: Database, userId: string): Promise<boolean> {
  const [row] = await rowsOf<{ allowed: boolean }>(
    db,
    sql`select auth_user_sms_allowed(${userId}::uuid) as allowed`,
  );
  return row?.allowed === true;
}
