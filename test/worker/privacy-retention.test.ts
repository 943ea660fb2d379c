import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { regionDatabase } from "../../db/client";
import { loadConfig } from "../../workers/api/env";
import { sweepRetentionIn } from "../../workers/api/services/privacy/retention";
import { invoiceTenant } from "./finance-invoice-helpers";
import { ownerSql } from "./outbox-helpers";

const DAY = 86_400_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const ahead = (ms: number) => new Date(Date.now() + ms).toISOString();

/** One row that is past its retention and one that is not, in each swept table. */
async function seed(chatRetentionDays: number) {
  const tenant = await invoiceTenant();
  const t = tenant.tenantId;
  const sql = ownerSql();
  await sql`update tenants set settings = settings || ${JSON.stringify({ chat_retention_days: chatRetentionDays })}::jsonb where id = ${t}`;
  const user = crypto.randomUUID();
  await sql`insert into users (id, email, name) values (${user}, ${`${user}@retention.test`}, 'Retention')`;
  const client = crypto.randomUUID();
  await sql`insert into oauth_clients (id, tenant_id, client_id, name, client_type, scopes, grant_types)
            values (${client}, ${t}, ${`ret-${client}`}, 'Retention', 'public', '{}', '{authorization_code}')`;
  const family = crypto.randomUUID();
  await sql`insert into refresh_families (id, tenant_id, client_id, user_id, scope, auth_time) values (${family}, ${t}, ${client}, ${user}, '', now())`;
  const endpoint = crypto.randomUUID();
  await sql`insert into webhook_endpoints (id, tenant_id, url, secret_sealed) values (${endpoint}, ${t}, 'https://example.test/hook', 'sealed')`;
  const delivery = crypto.randomUUID();
  await sql`insert into webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, webhook_id)
            values (${delivery}, ${t}, ${endpoint}, ${crypto.randomUUID()}, 'contact.created', ${`msg_${delivery}`})`;
  for (const [label, when, spent] of [
    ["old", ago(40 * DAY), ago(40 * DAY)],
    ["new", ahead(DAY), null],
  ] as const) {
    const tag = `${label}-${t}`;
    await sql`insert into idempotency_keys (tenant_id, credential, key, request_hash, response_status, response_body, request_id, expires_at)
              values (${t}, 'user:x', ${tag}, 'h', 201, '{}', 'r', ${label === "old" ? when : ahead(DAY)})`;
    await sql`insert into oauth_codes (tenant_id, code_hash, client_id, user_id, redirect_uri, code_challenge, scope, auth_time, expires_at, used_at)
              values (${t}, ${tag}, ${client}, ${user}, 'http://127.0.0.1/cb', 'c', '', now(), ${when}, ${spent})`;
    await sql`insert into refresh_tokens (tenant_id, family_id, token_hash, expires_at, used_at) values (${t}, ${family}, ${tag}, ${when}, ${spent})`;
    await sql`insert into revoked_access_tokens (tenant_id, jti, expires_at) values (${t}, ${tag}, ${when})`;
    await sql`insert into webhook_delivery_attempts (tenant_id, delivery_id, attempt, started_at, duration_ms, signature_timestamp)
              values (${t}, ${delivery}, ${label === "old" ? 1 : 2}, ${label === "old" ? when : ago(0)}, 5, 0)`;
    await sql`insert into chat_messages (tenant_id, room, seq, user_id, body, created_at)
              values (${t}, 'general', ${label === "old" ? 1 : 2}, ${user}, ${tag}, ${label === "old" ? ago((chatRetentionDays + 1) * DAY) : ago(DAY)})`;
    await sql`insert into auth_sessions (user_id, token_hash, expires_at) values (${user}, ${tag}, ${when})`;
    await sql`insert into one_time_codes (user_id, channel, code_hash, expires_at, used_at) values (${user}, 'email', ${tag}, ${when}, ${spent})`;
    await sql`insert into account_tokens (user_id, tenant_id, purpose, token_hash, expires_at) values (${user}, ${t}, 'invitation', ${tag}, ${when})`;
  }
  return { tenantId: t, user, family };
}

const TENANT_TABLES = [
  "idempotency_keys",
  "oauth_codes",
  "refresh_tokens",
  "revoked_access_tokens",
  "webhook_delivery_attempts",
  "chat_messages",
] as const;

async function counts(tenantId: string, user: string) {
  const sql = ownerSql();
  const result: Record<string, number> = {};
  for (const table of TENANT_TABLES) {
    const [row] = (await sql.query(`select count(*)::int as n from ${table} where tenant_id = $1`, [
      tenantId,
    ])) as { n: number }[];
    result[table] = row?.n ?? 0;
  }
  for (const table of ["auth_sessions", "one_time_codes", "account_tokens"]) {
    const [row] = (await sql.query(`select count(*)::int as n from ${table} where user_id = $1`, [user])) as {
      n: number;
    }[];
    result[table] = row?.n ?? 0;
  }
  return result;
}

describe("retention sweep", () => {
  it("removes expired and spent sessions, codes, tokens, idempotency records, old attempts and chat past the tenant's setting; keeps the rest", async () => {
    const { tenantId, user } = await seed(30);
    const before = await counts(tenantId, user);
    expect(Object.values(before).every((n) => n === 2)).toBe(true);

    const result = await sweepRetentionIn(regionDatabase(loadConfig(env)), {
      slot: 0,
      slots: 1,
      tenantIds: [tenantId],
    });
    expect(result.tenants).toBe(1);
    const after = await counts(tenantId, user);
    expect(after).toEqual(Object.fromEntries(Object.keys(before).map((k) => [k, 1])));
    // What stays is the live row of each table.
    const [chat] = (await ownerSql()`select body from chat_messages where tenant_id = ${tenantId}`) as {
      body: string;
    }[];
    expect(chat?.body).toBe(`new-${tenantId}`);
  });

  it("keeps a spent refresh token of a live family until it expires (a replay must still revoke the family)", async () => {
    const { tenantId, family } = await seed(30);
    const sql = ownerSql();
    const spent = `spent-${tenantId}`;
    await sql`insert into refresh_tokens (tenant_id, family_id, token_hash, expires_at, used_at)
              values (${tenantId}, ${family}, ${spent}, ${ahead(DAY)}, ${ago(40 * DAY)})`;
    const db = regionDatabase(loadConfig(env));
    await sweepRetentionIn(db, { slot: 0, slots: 1, tenantIds: [tenantId] });
    expect(await sql`select 1 from refresh_tokens where token_hash = ${spent}`).toHaveLength(1);
    await sql`update refresh_families set revoked_at = now() - interval '2 days' where id = ${family}`;
    await sweepRetentionIn(db, { slot: 0, slots: 1, tenantIds: [tenantId] });
    expect(await sql`select 1 from refresh_tokens where token_hash = ${spent}`).toEqual([]);
  });

  it("keeps chat of a tenant without a retention setting", async () => {
    const { tenantId } = await seed(30);
    await ownerSql()`update tenants set settings = settings - 'chat_retention_days' where id = ${tenantId}`;
    await sweepRetentionIn(regionDatabase(loadConfig(env)), { slot: 0, slots: 1, tenantIds: [tenantId] });
    const [row] =
      (await ownerSql()`select count(*)::int as n from chat_messages where tenant_id = ${tenantId}`) as {
        n: number;
      }[];
    expect(row?.n).toBe(2);
  });

  it("visits each tenant in exactly one of the sixty minute slots", async () => {
    const { tenantId } = await seed(30);
    const db = regionDatabase(loadConfig(env));
    let visits = 0;
    for (let slot = 0; slot < 60; slot++) {
      visits += (await sweepRetentionIn(db, { slot, slots: 60, tenantIds: [tenantId] })).tenants;
    }
    expect(visits).toBe(1);
  });
});
