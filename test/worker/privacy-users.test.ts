import { describe, expect, it } from "vitest";
import { invoiceTenant } from "./finance-invoice-helpers";
import { call, envelope, tokenFor } from "./helpers";
import { ownerSql } from "./outbox-helpers";
import { REQUESTS, requestPrivacy, tablesContaining, untar, untilFinished } from "./privacy-helpers";

/** A member of a fresh tenant with a real account whose email and name carry `marker`. */
async function memberWithAccount(marker: string) {
  const tenant = await invoiceTenant();
  const sql = ownerSql();
  const userId = crypto.randomUUID();
  const roleId = crypto.randomUUID();
  await sql`insert into users (id, email, name) values (${userId}, ${`${marker}@people.test`}, ${`Bea ${marker}`})`;
  await sql`insert into roles (id, tenant_id, name, is_system) values (${roleId}, ${tenant.tenantId}, 'Member', true)`;
  await sql`insert into memberships (tenant_id, user_id, role_id, status) values (${tenant.tenantId}, ${userId}, ${roleId}, 'active')`;
  await sql`insert into chat_messages (tenant_id, room, seq, user_id, body)
            values (${tenant.tenantId}, 'general', 1, ${userId}, 'my own words'),
                   (${tenant.tenantId}, 'general', 2, ${tenant.userId}, ${`thanks Bea ${marker}`})`;
  await sql`insert into auth_sessions (user_id, token_hash, expires_at) values (${userId}, ${`s-${userId}`}, now() + interval '1 day')`;
  const token = await tokenFor({ tenantId: tenant.tenantId, userId, role: "Member" });
  return { tenant, userId, token };
}

describe("privacy requests about a member", () => {
  it("a member exports their own user, reads and downloads it; others' requests and lists stay closed", async () => {
    const marker = `usr${crypto.randomUUID().slice(0, 8)}`;
    const { tenant, userId, token } = await memberWithAccount(marker);
    const { res, body } = await requestPrivacy(token, {
      kind: "export",
      subject: { type: "user", id: userId },
    });
    expect(res.status).toBe(202);
    const done = await untilFinished(token, body.data.id);
    expect(done.status).toBe("completed");
    const download = await call(`${REQUESTS}/${body.data.id}/download`, { token });
    expect(download.status).toBe(200);
    const files = untar(new Uint8Array(await download.arrayBuffer()));
    expect(files["stores/identity.account.json"]).toContain(`${marker}@people.test`);
    const chat = JSON.parse(files["stores/realtime.chat_messages.json"] ?? "[]") as {
      body: string;
      user_id: string | null;
    }[];
    expect(chat.map((m) => m.body).sort()).toEqual(["my own words", `thanks Bea ${marker}`]);
    // The other author of a message that mentions the member is not in the archive.
    expect(chat.find((m) => m.body.startsWith("thanks"))?.user_id).toBeNull();

    // Not another user's export, nor the list, nor someone else's request.
    const other = await requestPrivacy(token, {
      kind: "export",
      subject: { type: "user", id: tenant.userId },
    });
    expect(other.res.status).toBe(403);
    const erasure = await requestPrivacy(token, { kind: "erasure", subject: { type: "user", id: userId } });
    expect(erasure.res.status).toBe(403);
    expect((await call(REQUESTS, { token })).status).toBe(403);
    const stranger = await tokenFor({
      tenantId: tenant.tenantId,
      userId: crypto.randomUUID(),
      role: "Member",
    });
    expect((await call(`${REQUESTS}/${body.data.id}`, { token: stranger })).status).toBe(403);
    // The owner sees it in the list, with the audit trail of its creation and download.
    const list = await envelope<{ id: string }[]>(await call(REQUESTS, { token: tenant.token }));
    expect(list.data.map((r) => r.id)).toContain(body.data.id);
    const audit = (await ownerSql()`select action from audit_log where tenant_id = ${tenant.tenantId}
        and target_id = ${body.data.id} order by created_at`) as { action: string }[];
    expect(audit.map((a) => a.action)).toEqual([
      "privacy.request_created",
      "privacy.request_completed",
      "privacy.export_downloaded",
    ]);
  });

  it("erasing a member removes their account, sessions, membership and messages, and their name from others' text", async () => {
    const marker = `usr${crypto.randomUUID().slice(0, 8)}`;
    const { tenant, userId } = await memberWithAccount(marker);
    const { res, body } = await requestPrivacy(tenant.token, {
      kind: "erasure",
      subject: { type: "user", id: userId },
    });
    expect(res.status).toBe(202);
    const done = await untilFinished(tenant.token, body.data.id);
    expect(done.status, JSON.stringify(done.stores)).toBe("completed");
    expect(done.stores.find((s) => s.store === "identity.account")).toMatchObject({
      action: "deleted",
      rows: 2,
    });
    expect(await tablesContaining(marker)).toEqual({});
    const sql = ownerSql();
    expect(await sql`select 1 from users where id = ${userId}`).toEqual([]);
    expect(await sql`select 1 from auth_sessions where user_id = ${userId}`).toEqual([]);
    expect(await sql`select 1 from chat_messages where user_id = ${userId}`).toEqual([]);
    const [kept] = (await sql`select body from chat_messages where tenant_id = ${tenant.tenantId}`) as {
      body: string;
    }[];
    expect(kept?.body).toBe("thanks [redacted]");
  });
});
