import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf } from "../../../../db/rows";

export interface SignInUser {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  mfa_enabled: boolean;
  totp_secret: string | null;
  totp_last_step: string | number | null;
  email_otp_enabled: boolean;
  sms_otp_enabled: boolean;
  /** E.164; set when SMS enrolment starts, a factor only once `sms_otp_enabled`. */
  phone_number: string | null;
  locale: string | null;
}

export interface UserTenant {
  tenant_id: string;
  tenant_name: string;
  tenant_slug: string;
  role_name: string;
}

const SIGN_IN_COLUMNS = sql.raw(
  "id, email, name, password_hash, mfa_enabled, totp_secret, totp_last_step, email_otp_enabled, sms_otp_enabled, phone_number, locale",
);

/** Users are region-wide (no tenant), so sign-in can find one by email before any tenant. */
export async function findUserByEmail(db: Database, email: string): Promise<SignInUser | undefined> {
  const rows = await rowsOf<SignInUser>(
    db,
    sql`select ${SIGN_IN_COLUMNS} from users where lower(email) = lower(${email}) and not is_deleted limit 1`,
  );
  return rows[0];
}

export async function findUserById(db: Database, id: string): Promise<SignInUser | undefined> {
  const rows = await rowsOf<SignInUser>(
    db,
    sql`select ${SIGN_IN_COLUMNS} from users where id = ${id} and not is_deleted`,
  );
  return rows[0];
}

/** The tenants a user may act for, with the role in each (auth_user_tenants, migration 0005). */
export function userTenants(db: Database, userId: string): Promise<UserTenant[]> {
  return rowsOf<UserTenant>(
    db,
    sql`select tenant_id, tenant_name, tenant_slug, role_name from auth_user_tenants(${userId}::uuid)`,
  );
}

/** Stores a TOTP step as used, only if it is newer than the last: two requests, one winner. */
export async function claimTotpStep(db: Database, userId: string, step: number): Promise<boolean> {
  const rows = await rowsOf(
    db,
    sql`update users set totp_last_step = ${step}
        where id = ${userId} and (totp_last_step is null or totp_last_step < ${step}) returning id`,
  );
  return rows.length === 1;
}

export async function storeRehashedPassword(db: Database, userId: string, hash: string): Promise<void> {
  await rowsOf(db, sql`update users set password_hash = ${hash} where id = ${userId}`);
}

export async function markSignedIn(db: Database, userId: string): Promise<void> {
  await rowsOf(db, sql`update users set last_sign_in_at = now() where id = ${userId}`);
}
