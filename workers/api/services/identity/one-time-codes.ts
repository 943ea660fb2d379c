import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf } from "../../../../db/rows";
import { decodeBase64 } from "../../auth/credentials/base64";
import { queueMailStatement } from "../../mail/mail-outbox";
import { isMailLocale, type MailLocale } from "../../mail/templates";
import { toHex } from "../../oauth/encoding";
import type { SmsSender } from "../../sms/sms-port";

/** Sign-in codes, e-mailed or by SMS: 8 digits (never confused with a 6-digit TOTP), 10 minutes, 5 tries. */
export const ONE_TIME_CODE_TTL_SECONDS = 10 * 60;
export const ONE_TIME_CODE_MAX_ATTEMPTS = 5;
/**
 * Sending is throttled per user (counted in Postgres): five per hour, and none within 30 s of a
 * code that is still usable.
 */
export const ONE_TIME_CODE_SEND_LIMITS = { gapSeconds: 30, perHour: 5 } as const;

export const ONE_TIME_CODE_SHAPE = /^[0-9]{8}$/;

function newCode(): string {
  // Rejection sampling over 32-bit values: every 8-digit code equally likely.
  const limit = 4_000_000_000;
  for (;;) {
    const [value = 0] = crypto.getRandomValues(new Uint32Array(1));
    if (value < limit) return String(value % 100_000_000).padStart(8, "0");
  }
}

/**
 * HMAC under the region's data key, bound to the user: 10^8 codes are few, so a plain hash in a
 * database dump would give them away at once; without the key it gives nothing.
 */
async function codeHash(dataKey: string, userId: string, code: string): Promise<string> {
  const raw = decodeBase64(dataKey.trim().replace(/=+$/, ""));
  if (!raw) throw new Error("DATA_ENCRYPTION_KEY must be base64");
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(`sign-in-code:${userId}:${code}`),
  );
  return toHex(new Uint8Array(mac));
}

export interface CodeRecipient {
  id: string;
  email: string;
  locale: string | null;
}

export type SendOutcome = { sent: true; mailId: string } | { sent: false; retryAfterSeconds: number };

export type CodeChannel = "email" | "sms";

// The gap applies while the last code is still live: one just spent (an enrolment, a sign-in)
// does not hold up the next step.
const recentCodes = (userId: string, channel: CodeChannel) =>
  sql`select created_at, used_at is null and expires_at > now() as live from one_time_codes
      where user_id = ${userId} and channel = ${channel} and created_at > now() - interval '1 hour'`;

/** Inserts the new code unless the throttle says no (then nothing happens); earlier codes stop working. */
const throttledInsert = (userId: string, channel: CodeChannel, codeId: string, hash: string) =>
  sql`with recent as (${recentCodes(userId, channel)}), allowed as (
        select 1 where (select count(*) from recent) < ${ONE_TIME_CODE_SEND_LIMITS.perHour}
          and not exists (select 1 from recent where live and created_at > now() - make_interval(secs => ${ONE_TIME_CODE_SEND_LIMITS.gapSeconds}))
      ), burned as (
        update one_time_codes set used_at = now()
        where user_id = ${userId} and channel = ${channel} and used_at is null and exists (select 1 from allowed)
      )
      insert into one_time_codes (id, user_id, channel, code_hash, expires_at)
      select ${codeId}, ${userId}, ${channel}, ${hash}, now() + make_interval(secs => ${ONE_TIME_CODE_TTL_SECONDS})
      from allowed returning id`;

async function retryAfterSeconds(db: Database, userId: string, channel: CodeChannel): Promise<number> {
  const [wait] = await rowsOf<{ seconds: number }>(
    db,
    sql`select greatest(1, ceil(extract(epoch from least(
          coalesce(max(created_at) filter (where live), '-infinity'::timestamptz) + make_interval(secs => ${ONE_TIME_CODE_SEND_LIMITS.gapSeconds}),
          case when count(*) >= ${ONE_TIME_CODE_SEND_LIMITS.perHour} then min(created_at) + interval '1 hour' else 'infinity'::timestamptz end
        ) - now())))::int as seconds
        from (${recentCodes(userId, channel)}) r`,
  );
  return Math.max(1, Number(wait?.seconds ?? 30));
}

const requireKey = (dataKey: string | undefined) => {
  if (!dataKey) throw new Error("DATA_ENCRYPTION_KEY is not configured: sign-in codes cannot be sent");
  return dataKey;
};

/**
 * A new e-mailed code, unless the user had one sent too recently (the throttle), in one
 * transaction with its mail: earlier codes stop working, the new one is stored as an HMAC.
 */
export async function sendEmailCode(
  db: Database,
  dataKey: string | undefined,
  user: CodeRecipient,
  defaultLocale: MailLocale,
): Promise<SendOutcome> {
  const key = requireKey(dataKey);
  const code = newCode();
  const codeId = crypto.randomUUID();
  const queued = await queueMailStatement(
    key,
    {
      template: "sign_in_code",
      locale: isMailLocale(user.locale) ? user.locale : defaultLocale,
      to: user.email,
      values: { code, expires_minutes: ONE_TIME_CODE_TTL_SECONDS / 60 },
    },
    sql`exists (select 1 from one_time_codes where id = ${codeId})`,
  );
  const [inserted] = (await db.batch([
    db.execute(throttledInsert(user.id, "email", codeId, await codeHash(key, user.id, code))),
    db.execute(queued.statement),
  ])) as unknown as { rows: unknown[] }[];
  if ((inserted?.rows.length ?? 0) === 1) return { sent: true, mailId: queued.id };
  return { sent: false, retryAfterSeconds: await retryAfterSeconds(db, user.id, "email") };
}

export type SmsSendOutcome = { sent: true } | { sent: false; retryAfterSeconds: number };

/**
 * A new code by SMS to `phone`, throttled exactly like e-mailed ones (per user and channel). The
 * text goes to the provider at once, after the code is stored; if the provider does not take
 * it, the code is burnt and the SmsError goes to the caller (503), so no live code was never sent.
 */
export async function sendSmsCode(
  db: Database,
  dataKey: string | undefined,
  sender: SmsSender,
  user: { id: string; phone: string },
): Promise<SmsSendOutcome> {
  const key = requireKey(dataKey);
  const code = newCode();
  const codeId = crypto.randomUUID();
  const inserted = await rowsOf(
    db,
    throttledInsert(user.id, "sms", codeId, await codeHash(key, user.id, code)),
  );
  if (inserted.length !== 1)
    return { sent: false, retryAfterSeconds: await retryAfterSeconds(db, user.id, "sms") };
  try {
    await sender.send({
      to: user.phone,
      body: `Your Nexus Edge sign-in code is ${code}. It expires in ${ONE_TIME_CODE_TTL_SECONDS / 60} minutes. Never share it.`,
    });
  } catch (error) {
    await rowsOf(db, sql`update one_time_codes set used_at = now() where id = ${codeId} returning id`);
    throw error;
  }
  return { sent: true };
}

/**
 * Checks a code against the user's newest live one of `channel`, counting the try in the same statement:
 * the right code spends it; the fifth wrong try burns it, so guessing needs a new e-mail each
 * five tries (and sending is throttled).
 */
export async function checkSignInCode(
  db: Database,
  dataKey: string | undefined,
  userId: string,
  code: string,
  channel: CodeChannel = "email",
): Promise<"ok" | "invalid"> {
  if (!dataKey || !ONE_TIME_CODE_SHAPE.test(code)) return "invalid";
  const hash = await codeHash(dataKey, userId, code);
  const [row] = await rowsOf<{ ok: boolean }>(
    db,
    sql`with live as (
        select id from one_time_codes
        where user_id = ${userId} and channel = ${channel} and used_at is null and expires_at > now()
        order by created_at desc limit 1 for update)
      update one_time_codes o set attempts = o.attempts + 1,
        used_at = case when o.code_hash = ${hash} or o.attempts + 1 >= ${ONE_TIME_CODE_MAX_ATTEMPTS} then now() end
      from live where o.id = live.id
      returning o.code_hash = ${hash} as ok`,
  );
  return row?.ok === true ? "ok" : "invalid";
}

/** Whether one of the user's businesses requires a second factor of them (migration 0022). */
export async function mfaRequiredFor(db: Database, userId: string): Promise<boolean> {
  const [row] = await rowsOf<{ required: boolean }>(
    db,
    sql`select auth_user_mfa_required(${userId}::uuid) as required`,
  );
  return row?.required === true;
}
