import { type SQL, sql } from "drizzle-orm";
import { type Database, regionDatabase } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import { loadConfig } from "../../env";

/** Webhook attempt logs are kept this long (a delivery's own row keeps its last outcome). */
export const WEBHOOK_ATTEMPT_RETENTION_DAYS = 30;
/** Sent and failed mail (sealed) goes after this long. */
export const MAIL_RETENTION_DAYS = 7;
/** Used or expired one-time material is kept a day past its end (audits of a failed sign-in). */
export const SPENT_GRACE_HOURS = 24;
/** Each tenant is swept once per this many scheduled runs (one a minute: once an hour). */
export const RETENTION_SLOTS = 60;

export interface RetentionResult {
  tenants: number;
  /** Rows deleted, by table. */
  deleted: Record<string, number>;
}

const counted = (statement: SQL) =>
  sql`with gone as (${statement} returning 1) select count(*)::int as n from gone`;

/**
 * What is swept for every tenant: expired or spent rows, old logs, chat past the tenant's
 * setting. Each is a statement answering `n`, the rows it removed.
 */
function tenantSweeps(tenantId: string, now: string, chatDays: number | null): [string, SQL][] {
  const grace = sql`${now}::timestamptz - ${`${SPENT_GRACE_HOURS} hours`}::interval`;
  const sweeps: [string, SQL][] = [
    [
      "idempotency_keys",
      counted(
        sql`delete from idempotency_keys where tenant_id = ${tenantId} and expires_at <= ${now}::timestamptz`,
      ),
    ],
    [
      "oauth_codes",
      counted(sql`delete from oauth_codes where tenant_id = ${tenantId} and expires_at < ${grace}
            and not exists (select 1 from refresh_families f where f.code_id = oauth_codes.id)`),
    ],
    [
      "refresh_tokens",
      // A spent token of a live family stays until it expires: replaying it must still revoke the family.
      counted(sql`delete from refresh_tokens where tenant_id = ${tenantId} and (expires_at < ${grace}
            or (used_at < ${grace} and family_id in (select id from refresh_families where tenant_id = ${tenantId} and revoked_at is not null)))`),
    ],
    [
      "revoked_access_tokens",
      counted(sql`delete from revoked_access_tokens where tenant_id = ${tenantId} and expires_at < ${grace}`),
    ],
    [
      "webhook_delivery_attempts",
      // Append-only for the app role: deleted through the function migration 0025 grants it.
      sql`select privacy_sweep_webhook_attempts(${now}::timestamptz - ${`${WEBHOOK_ATTEMPT_RETENTION_DAYS} days`}::interval) as n`,
    ],
    [
      "privacy_export_files",
      counted(sql`delete from privacy_export_files where tenant_id = ${tenantId} and request_id in
            (select id from privacy_requests where tenant_id = ${tenantId} and archive_expires_at < ${now}::timestamptz)`),
    ],
  ];
  if (chatDays !== null) {
    sweeps.push([
      "chat_messages",
      counted(
        sql`delete from chat_messages where tenant_id = ${tenantId} and created_at < ${now}::timestamptz - ${`${chatDays} days`}::interval`,
      ),
    ]);
  }
  return sweeps;
}

/** Region-wide tables (no tenant): sessions, codes and account tokens past their end, old mail. */
function globalSweeps(now: string): [string, SQL][] {
  const grace = sql`${now}::timestamptz - ${`${SPENT_GRACE_HOURS} hours`}::interval`;
  return [
    ["auth_sessions", sql`delete from auth_sessions where expires_at < ${grace} or revoked_at < ${grace}`],
    ["one_time_codes", sql`delete from one_time_codes where expires_at < ${grace} or used_at < ${grace}`],
    ["account_tokens", sql`delete from account_tokens where expires_at < ${grace} or used_at < ${grace}`],
    [
      "mail_outbox",
      sql`delete from mail_outbox where coalesce(sent_at, failed_at) < ${now}::timestamptz - ${`${MAIL_RETENTION_DAYS} days`}::interval`,
    ],
  ];
}

/**
 * The retention sweep, on the cron beside the outbox sweep. Before it, expired idempotency records
 * were only removed when the same tenant recorded a new key, and sessions, codes, refresh tokens,
 * revocations, webhook attempt logs, sent mail and chat were never removed at all.
 * `slot` picks the sixtieth of the tenants this run visits (the minute, by default).
 */
export async function sweepRetentionIn(
  db: Database,
  options: { now?: Date; slot?: number; slots?: number; tenantIds?: readonly string[] } = {},
): Promise<RetentionResult> {
  const now = (options.now ?? new Date()).toISOString();
  const slots = options.slots ?? RETENTION_SLOTS;
  const slot = options.slot ?? new Date(now).getUTCMinutes() % slots;
  const deleted: Record<string, number> = {};
  const add = (names: readonly string[], rows: readonly unknown[][]) =>
    names.forEach((name, i) => {
      deleted[name] = (deleted[name] ?? 0) + Number((rows[i]?.[0] as { n: number } | undefined)?.n ?? 0);
    });

  const global = globalSweeps(now);
  const globalRows = await db.batch(
    global.map(([, s]) => db.execute(counted(s))) as unknown as Parameters<Database["batch"]>[0],
  );
  add(
    global.map(([n]) => n),
    (globalRows as unknown as { rows: unknown[] }[]).map((r) => r.rows),
  );

  const tenants = (
    await db.execute(
      sql`select tenant_id::text, chat_retention_days from privacy_retention_tenants(${slot}, ${slots})`,
    )
  ).rows as { tenant_id: string; chat_retention_days: number | null }[];
  const visited = options.tenantIds
    ? tenants.filter((t) => options.tenantIds?.includes(t.tenant_id))
    : tenants;
  for (const t of visited) {
    const sweeps = tenantSweeps(t.tenant_id, now, t.chat_retention_days);
    const rows = await tenantRows(
      db,
      t.tenant_id,
      sweeps.map(([, s]) => s),
    );
    add(
      sweeps.map(([n]) => n),
      rows,
    );
  }
  return { tenants: visited.length, deleted };
}

export async function sweepRetention(env: Env, now?: Date): Promise<RetentionResult> {
  return sweepRetentionIn(regionDatabase(loadConfig(env)), now ? { now } : {});
}
