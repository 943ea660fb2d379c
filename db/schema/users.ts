import { sql } from "drizzle-orm";
import { bigint, boolean, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { id, softDelete, timestamps } from "./columns";

/**
 * People who can sign in. A user is global within a region (one login, many tenants through
 * memberships), so this table has no tenant_id and no tenant policy: sign-in must find a user
 * before any tenant is known. Tenant-scoped reads go through memberships.
 */
export const users = pgTable(
  "users",
  {
    id: id(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    /** Slow-KDF hash (issue 3); null until a password is set. */
    passwordHash: text("password_hash"),
    mfaEnabled: boolean("mfa_enabled").notNull().default(false),
    /** Base32 TOTP secret while enrolling or enrolled (see issue notes: encryption at rest is pending). */
    totpSecret: text("totp_secret"),
    /** Last TOTP step accepted: a code of this step or earlier is a replay. */
    totpLastStep: bigint("totp_last_step", { mode: "number" }),
    /** E-mail one-time codes as a second factor (issue 18). */
    emailOtpEnabled: boolean("email_otp_enabled").notNull().default(false),
    /** E.164 number for SMS codes, set once a code sent to it was confirmed. */
    phoneNumber: text("phone_number"),
    smsOtpEnabled: boolean("sms_otp_enabled").notNull().default(false),
    /** Language of the mail sent to this user (`en`, `fr`); null: the region's default. */
    locale: text("locale"),
    lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true, mode: "string" }),
    ...timestamps,
    ...softDelete,
  },
  (t) => [uniqueIndex("users_email_key").on(sql`lower(${t.email})`).where(sql`not ${t.isDeleted}`)],
);

export type User = typeof users.$inferSelect;
