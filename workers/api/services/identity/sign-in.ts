import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf } from "../../../../db/rows";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "../../auth/credentials/password";
import { matchRecoveryCode } from "../../auth/credentials/recovery-codes";
import { openSecret } from "../../auth/credentials/secret-box";
import { verifyTotp } from "../../auth/credentials/totp";
import { claimTotpStep, findUserByEmail, type SignInUser, storeRehashedPassword } from "./users";

/**
 * Email and password. Unknown accounts, accounts without a password and wrong passwords all
 * cost one PBKDF2 and answer no user, so neither the page nor its timing says which it was;
 * `knownUserId` is for the audit log only (failed attempts on a member show in its tenants).
 */
export async function checkPassword(
  db: Database,
  email: string,
  password: string,
): Promise<{ user: SignInUser | null; knownUserId: string | null }> {
  const user = email.length <= 320 ? await findUserByEmail(db, email) : undefined;
  if (!user?.password_hash) {
    await verifyAgainstDummy(password);
    return { user: null, knownUserId: user?.id ?? null };
  }
  const result = await verifyPassword(password, user.password_hash);
  if (!result.ok) return { user: null, knownUserId: user.id };
  if (result.needsRehash) await storeRehashedPassword(db, user.id, await hashPassword(password));
  return { user, knownUserId: user.id };
}

export type SecondFactorResult = "ok" | "recovery_code_used" | "invalid" | "replayed";

/**
 * A TOTP code (±1 step, each step usable once) or a recovery code (each usable once). Both are
 * spent with a conditional write, so two requests with one code cannot both pass.
 */
export async function checkSecondFactor(
  db: Database,
  user: SignInUser,
  code: string,
  dataKey: string | undefined,
): Promise<SecondFactorResult> {
  const trimmed = code.replace(/\s/g, "");
  if (/^[0-9]{6}$/.test(trimmed)) {
    if (!user.totp_secret) return "invalid";
    const lastUsedStep = user.totp_last_step === null ? null : Number(user.totp_last_step);
    if (!dataKey) throw new Error("DATA_ENCRYPTION_KEY is not configured: TOTP secrets cannot be read");
    const secret = await openSecret(dataKey, user.totp_secret, user.id);
    const result = await verifyTotp({ secret, code: trimmed, lastUsedStep });
    if (!result.ok) return result.reason === "replayed" ? "replayed" : "invalid";
    return (await claimTotpStep(db, user.id, result.step)) ? "ok" : "replayed";
  }
  const codes = await rowsOf<{ id: string; code_hash: string }>(
    db,
    sql`select id, code_hash from recovery_codes where user_id = ${user.id} and used_at is null order by id`,
  );
  const index = await matchRecoveryCode(
    code,
    codes.map((c) => c.code_hash),
  );
  const match = codes[index];
  if (!match) return "invalid";
  const spent = await rowsOf(
    db,
    sql`update recovery_codes set used_at = now() where id = ${match.id} and used_at is null returning id`,
  );
  return spent.length === 1 ? "recovery_code_used" : "replayed";
}
