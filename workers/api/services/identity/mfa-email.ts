import { sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import { verifyPassword } from "../../auth/credentials/password";
import { ApiError } from "../../lib/errors";
import type { MailLocale } from "../../mail/templates";
import type { ServiceContext } from "../context";
import { auditInsert } from "./audit";
import { byActor } from "./audited-change";
import { checkSignInCode, sendEmailCode } from "./one-time-codes";
import type { RequestInfo } from "./request-info";
import { findUserById, type SignInUser } from "./users";

async function currentUser(ctx: ServiceContext): Promise<SignInUser> {
  const user = await findUserById(ctx.db, ctx.actor.userId);
  if (!user) throw new ApiError("FORBIDDEN", "Only a signed-in user can manage MFA");
  return user;
}

/** Step 1: a code to the account's address (throttled like sign-in codes). Answers the mail to send. */
export async function startEmailCodeEnrolment(
  ctx: ServiceContext,
  dataKey: string | undefined,
  defaultLocale: MailLocale,
): Promise<{ mailId: string }> {
  const user = await currentUser(ctx);
  if (user.email_otp_enabled) throw new ApiError("CONFLICT", "E-mail codes are already on");
  const outcome = await sendEmailCode(ctx.db, dataKey, user, defaultLocale);
  if (!outcome.sent) {
    throw new ApiError(
      "RATE_LIMITED",
      `A code was sent recently; ask again in ${outcome.retryAfterSeconds} s`,
      {
        headers: { "Retry-After": String(outcome.retryAfterSeconds) },
      },
    );
  }
  return { mailId: outcome.mailId };
}

/** Step 2: the code from that e-mail turns e-mail codes on as a second factor. */
export async function confirmEmailCodeEnrolment(
  ctx: ServiceContext,
  code: string,
  dataKey: string | undefined,
  info: RequestInfo,
): Promise<void> {
  const user = await currentUser(ctx);
  if (user.email_otp_enabled) throw new ApiError("CONFLICT", "E-mail codes are already on");
  if ((await checkSignInCode(ctx.db, dataKey, user.id, code.trim())) !== "ok") {
    throw new ApiError("VALIDATION_ERROR", "The code is not valid", { field: "code" });
  }
  await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`update users set email_otp_enabled = true where id = ${user.id}`,
    auditInsert(
      { ...byActor(ctx, "user"), action: "mfa.enabled", targetId: user.id, details: { factor: "email" } },
      info,
    ),
  ]);
}

/** Off again, with the password (a stolen access token alone cannot weaken the account). */
export async function disableEmailCodes(
  ctx: ServiceContext,
  password: string,
  info: RequestInfo,
): Promise<void> {
  const user = await currentUser(ctx);
  if (!user.email_otp_enabled) throw new ApiError("CONFLICT", "E-mail codes are not on");
  const checked = user.password_hash ? await verifyPassword(password, user.password_hash) : { ok: false };
  if (!checked.ok) throw new ApiError("VALIDATION_ERROR", "The password is not right", { field: "password" });
  await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`update users set email_otp_enabled = false where id = ${user.id}`,
    sql`update one_time_codes set used_at = now() where user_id = ${user.id} and used_at is null`,
    auditInsert(
      { ...byActor(ctx, "user"), action: "mfa.disabled", targetId: user.id, details: { factor: "email" } },
      info,
    ),
  ]);
}
