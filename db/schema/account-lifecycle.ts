import { sql } from "drizzle-orm";
import { boolean, index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, instant, tenantIsolation, timestamps } from "./columns";
import { tenants } from "./tenants";
import { users } from "./users";

/**
 * Mail waiting to leave the region (workers/api/mail/). Written in the same transaction as what
 * it announces (an invitation, a reset), sent after the commit and retried by the cron sweep.
 * Region-wide like users: a reset has no tenant. The recipient and the template's values (links
 * and codes are secrets) are one AES-GCM ciphertext under the region's DATA_ENCRYPTION_KEY bound
 * to the row id, and cleared once the relay took the message or it was given up: a dump of this
 * table shows which template went when, never to whom or with what link.
 */
export const mailOutbox = pgTable(
  "mail_outbox",
  {
    id: uuid("id").primaryKey(),
    template: text("template").notNull(),
    locale: text("locale").notNull(),
    sealedMessage: text("sealed_message"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: instant("next_attempt_at").notNull().defaultNow(),
    claimId: uuid("claim_id"),
    claimedUntil: instant("claimed_until"),
    sentAt: instant("sent_at"),
    failedAt: instant("failed_at"),
    /** The relay's status or error class, never its text (it may quote the address). */
    lastError: text("last_error"),
    createdAt: instant("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("mail_outbox_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.sentAt} is null and ${t.failedAt} is null`),
  ],
);

export const accountTokenPurposes = ["invitation", "password_reset"] as const;
export type AccountTokenPurpose = (typeof accountTokenPurposes)[number];

/**
 * Links sent by e-mail that let their holder set a password: an invitation (tenant set) or a
 * reset. Single use (used_at), expiring, and only the SHA-256 of the token is stored.
 */
export const accountTokens = pgTable(
  "account_tokens",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    purpose: text("purpose", { enum: accountTokenPurposes }).notNull(),
    tokenHash: text("token_hash").notNull(),
    /** The inviting tenant (invitations only): the page names it, accepting activates it. */
    tenantId: uuid("tenant_id").references(() => tenants.id),
    expiresAt: instant("expires_at").notNull(),
    usedAt: instant("used_at"),
    createdAt: instant("created_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("account_tokens_token_hash_key").on(t.tokenHash),
    index("account_tokens_user_idx").on(t.userId),
  ],
);

export const oneTimeCodeChannels = ["email", "sms"] as const;

/** Second-factor codes sent by e-mail or SMS: hashed, short-lived, a few tries, used once. */
export const oneTimeCodes = pgTable(
  "one_time_codes",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    channel: text("channel", { enum: oneTimeCodeChannels }).notNull(),
    codeHash: text("code_hash").notNull(),
    attempts: integer("attempts").notNull().default(0),
    expiresAt: instant("expires_at").notNull(),
    usedAt: instant("used_at"),
    createdAt: instant("created_at").notNull().defaultNow(),
  },
  (t) => [index("one_time_codes_user_idx").on(t.userId, t.createdAt)],
);

export const mfaRequirements = ["off", "all", "roles"] as const;

/** A tenant's rule for its members' second factor (absent row: off). */
export const tenantMfaPolicies = pgTable(
  "tenant_mfa_policies",
  {
    tenantId: uuid("tenant_id")
      .primaryKey()
      .references(() => tenants.id),
    required: text("required", { enum: mfaRequirements }).notNull().default("off"),
    /** With `roles`: the role names whose members must use a second factor. */
    roles: text("roles").array().notNull().default(sql`'{}'::text[]`),
    /** Whether members may use SMS codes in this tenant (e-mail codes and TOTP always may). */
    allowSms: boolean("allow_sms").notNull().default(false),
    ...timestamps,
  },
  () => [tenantIsolation()],
).enableRLS();
