import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { rowsOf } from "../../../db/rows";
import { openSecret, sealSecret } from "../auth/credentials/secret-box";
import { logError } from "../lib/log-error";
import type { MailTransport } from "./mail-port";
import { renderMail } from "./render";
import {
  isMailLocale,
  type MailLocale,
  type MailTemplate,
  TEMPLATE_VALUES,
  type TemplateValues,
} from "./templates";

/** Attempts before a message is given up (about 4 h at the default 60 s base: 1, 2, 4 … 128 min). */
export const MAIL_MAX_ATTEMPTS = 8;
/** A sender that dies holding rows lets them go after this. */
const LEASE_SECONDS = 60;

export interface QueuedMail<T extends MailTemplate> {
  template: T;
  locale: MailLocale;
  to: string;
  values: TemplateValues<T>;
}

/**
 * The insert that queues one message, to run in the same batch or transaction as the change it
 * announces: if that change rolls back, no mail leaves. The recipient and values are sealed
 * under the region's data key, bound to the row's id. Answers the id, for sending after commit.
 */
export async function queueMailStatement<T extends MailTemplate>(
  dataKey: string | undefined,
  mail: QueuedMail<T>,
  /** Queue only if this holds when the batch runs (the account exists, the invitation was added). */
  when: SQL = sql`true`,
): Promise<{ id: string; statement: SQL }> {
  if (!dataKey) throw new Error("DATA_ENCRYPTION_KEY is not configured: mail cannot be queued");
  TEMPLATE_VALUES[mail.template].parse(mail.values);
  const id = crypto.randomUUID();
  const sealed = await sealSecret(dataKey, JSON.stringify({ to: mail.to, values: mail.values }), id);
  return {
    id,
    statement: sql`insert into mail_outbox (id, template, locale, sealed_message)
      select ${id}, ${mail.template}, ${mail.locale}, ${sealed} where ${when}`,
  };
}

interface ClaimedMail {
  id: string;
  template: MailTemplate;
  locale: string;
  sealed_message: string;
  attempts: number;
}

export interface MailDeliveryOptions {
  /** Only these rows (right after the request that queued them); absent: every due row. */
  ids?: readonly string[];
  limit: number;
  /** Seconds before the first retry; each later one doubles it. */
  retryBaseSeconds: number;
}

export interface MailDeliveryResult {
  sent: number;
  retrying: number;
  failed: number;
}

const uuidArray = (ids: readonly string[]) => sql`${`{${ids.join(",")}}`}::uuid[]`;

/**
 * Sends due messages: claim (a lease, `skip locked` so parallel senders take disjoint rows),
 * open, render, hand to the transport, record the outcome. Sent and given-up rows lose their
 * sealed message. Logs name the row and the failure's class only, never an address or a link.
 */
export async function deliverDueMail(
  db: Database,
  dataKey: string | undefined,
  transport: MailTransport,
  options: MailDeliveryOptions,
): Promise<MailDeliveryResult> {
  const result: MailDeliveryResult = { sent: 0, retrying: 0, failed: 0 };
  if (!dataKey || options.ids?.length === 0) return result;
  const claimId = crypto.randomUUID();
  const only = options.ids ? sql`and id = any(${uuidArray(options.ids)})` : sql``;
  const rows = await rowsOf<ClaimedMail>(
    db,
    sql`update mail_outbox set claim_id = ${claimId}::uuid, claimed_until = now() + make_interval(secs => ${LEASE_SECONDS})
        where id in (
          select id from mail_outbox
          where sent_at is null and failed_at is null and sealed_message is not null
            and next_attempt_at <= now() and (claimed_until is null or claimed_until < now()) ${only}
          order by next_attempt_at, id limit ${options.limit}
          for update skip locked)
        returning id, template, locale, sealed_message, attempts`,
  );
  for (const row of rows) {
    const outcome = await sendOne(dataKey, transport, row);
    const attempts = Number(row.attempts) + 1;
    if (outcome.ok) {
      result.sent++;
      await rowsOf(
        db,
        sql`update mail_outbox set sent_at = now(), sealed_message = null, attempts = ${attempts},
              claim_id = null, claimed_until = null, last_error = null
            where id = ${row.id} and claim_id = ${claimId}::uuid`,
      );
      continue;
    }
    const giveUp = outcome.permanent || attempts >= MAIL_MAX_ATTEMPTS;
    logError("mail delivery failed", undefined, new Error(outcome.reason), {
      mail_id: row.id,
      template: row.template,
      attempts,
      given_up: giveUp,
    });
    if (giveUp) {
      result.failed++;
      await rowsOf(
        db,
        sql`update mail_outbox set failed_at = now(), sealed_message = null, attempts = ${attempts},
              claim_id = null, claimed_until = null, last_error = ${outcome.reason}
            where id = ${row.id} and claim_id = ${claimId}::uuid`,
      );
    } else {
      result.retrying++;
      const delay = options.retryBaseSeconds * 2 ** (attempts - 1);
      await rowsOf(
        db,
        sql`update mail_outbox set attempts = ${attempts}, last_error = ${outcome.reason},
              next_attempt_at = now() + make_interval(secs => ${delay}), claim_id = null, claimed_until = null
            where id = ${row.id} and claim_id = ${claimId}::uuid`,
      );
    }
  }
  return result;
}

async function sendOne(
  dataKey: string,
  transport: MailTransport,
  row: ClaimedMail,
): Promise<{ ok: true } | { ok: false; permanent: boolean; reason: string }> {
  let message: { to: string; values: unknown };
  try {
    message = JSON.parse(await openSecret(dataKey, row.sealed_message, row.id)) as typeof message;
  } catch {
    // Another key (rotated without re-sealing) or a corrupted row: it will never open.
    return { ok: false, permanent: true, reason: "unsealable" };
  }
  if (!(row.template in TEMPLATE_VALUES) || !isMailLocale(row.locale)) {
    return { ok: false, permanent: true, reason: "unknown_template" };
  }
  let rendered: ReturnType<typeof renderMail>;
  try {
    rendered = renderMail(row.template, row.locale, message.values);
  } catch {
    return { ok: false, permanent: true, reason: "invalid_values" };
  }
  return transport.send({ id: row.id, to: message.to, ...rendered });
}
