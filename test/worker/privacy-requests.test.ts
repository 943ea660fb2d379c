import { env, runInDurableObject } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { placedStub } from "../../durable-objects/placement";
import { tenantHub } from "../../durable-objects/tenant-hub-client";
import { limiterName } from "../../workers/api/limits/request-limits";
import { invoices, invoiceTenant } from "./finance-invoice-helpers";
import { call, envelope } from "./helpers";
import { asTenant } from "./oauth-helpers";
import { ownerSql } from "./outbox-helpers";
import {
  REQUESTS,
  readRequest,
  requestPrivacy,
  resumeLater,
  tablesContaining,
  untar,
  untilFinished,
} from "./privacy-helpers";

/** A contact carrying `marker` in its name and email, with rows in the stores that can hold them. */
async function personWithRows(tenant: Awaited<ReturnType<typeof invoiceTenant>>, marker: string) {
  const email = `${marker}@example.test`;
  const contact = await call("/api/v1/crm/contacts", {
    method: "POST",
    token: tenant.token,
    headers: { "Idempotency-Key": crypto.randomUUID() },
    json: {
      first_name: "Ada",
      last_name: marker,
      email,
      phone: `+49 30 ${Math.floor(1e6 + Math.random() * 8e6)}`,
    },
  });
  expect(contact.status).toBe(201);
  const contactId = (await envelope<{ id: string }>(contact)).data.id;
  const lead = await call("/api/v1/crm/leads", {
    method: "POST",
    token: tenant.token,
    json: { first_name: "Ada", last_name: marker, email, source: "web" },
  });
  expect(lead.status).toBe(201);
  const invoice = await invoices("", {
    method: "POST",
    token: tenant.token,
    json: {
      currency: "EUR",
      due_date: "2026-12-31",
      customer: { contact_id: contactId },
      notes: `Thanks, Ada ${marker}`,
      lines: [
        { description: `Consulting for Ada ${marker}`, quantity: 1, unit_price: "100.00", tax_rate: "19" },
      ],
    },
  });
  expect(invoice.status, JSON.stringify(invoice.body)).toBe(201);
  const resource = await call("/api/v1/resources", {
    method: "POST",
    token: tenant.token,
    json: { name: "Meeting note", content: `Called Ada ${marker} (${email}) about the audit.` },
  });
  expect(resource.status).toBe(201);
  const t = tenant.tenantId;
  const sessionId = crypto.randomUUID();
  await asTenant(
    t,
    sql`insert into chat_messages (tenant_id, room, seq, user_id, body)
        values (${t}, 'sales', ${Math.floor(Math.random() * 1e9)}, ${tenant.userId}, ${`Ada ${marker} signed, mail ${email}`})`,
  );
  // The session's title and its stream chunks are cut copies of the transcript: the e-mail
  // straddles the cut, so only the transcript quotes it whole.
  const asked = `Summarise ${email}`;
  await asTenant(
    t,
    sql`insert into ai_sessions (id, tenant_id, agent_id, user_id, title) values (${sessionId}, ${t}, 'assistant', ${tenant.userId}, ${asked.slice(0, -4)})`,
  );
  await asTenant(
    t,
    sql`insert into ai_messages (tenant_id, session_id, role, content) values (${t}, ${sessionId}, 'user', ${asked})`,
  );
  await asTenant(
    t,
    sql`insert into ai_stream_chunks (tenant_id, session_id, seq, turn_id, type, data)
        values (${t}, ${sessionId}, 1, ${crypto.randomUUID()}, 'text', ${JSON.stringify({ delta: `Writing to ${email.slice(0, -6)}` })})`,
  );
  // A Paystack payment of the invoice, and the provider's raw webhook quoting the customer.
  const connection = crypto.randomUUID();
  const payment = crypto.randomUUID();
  const owner = ownerSql();
  await owner`insert into payment_connections (id, tenant_id, provider, secret_key_sealed) values (${connection}, ${t}, 'paystack', 'sealed')`;
  await owner`insert into payments (id, tenant_id, connection_id, provider, invoice_id, status, amount_minor, currency, customer_email, return_url, provider_reference)
              values (${payment}, ${t}, ${connection}, 'paystack', ${invoice.body.data.id}, 'succeeded', 11900, 'EUR', ${email},
                      'https://shop.example/return', ${`ref-${payment}`})`;
  await owner`insert into provider_events (tenant_id, connection_id, provider, event_key, event_type, raw_body, payment_id)
              values (${t}, ${connection}, 'paystack', ${`evt-${payment}`}, 'charge.success',
                      ${JSON.stringify({ event: "charge.success", data: { customer: { email } } })}, ${payment})`;
  return { contactId, invoiceId: invoice.body.data.id, email, paymentId: payment };
}

describe("privacy requests", () => {
  it("an export of a contact holds their rows from every store and nothing of another person", async () => {
    const tenant = await invoiceTenant();
    const mine = `exp${crypto.randomUUID().slice(0, 8)}`;
    const theirs = `oth${crypto.randomUUID().slice(0, 8)}`;
    const me = await personWithRows(tenant, mine);
    await personWithRows(tenant, theirs);

    const { res, body } = await requestPrivacy(tenant.token, {
      kind: "export",
      subject: { type: "contact", id: me.contactId },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("Location")).toBe(`${REQUESTS}/${body.data.id}`);
    const done = await untilFinished(tenant.token, body.data.id);
    expect(done.status).toBe("completed");
    expect(done.stores.every((s) => s.state === "done" && s.action === "exported")).toBe(true);

    const download = await call(`${REQUESTS}/${body.data.id}/download`, { token: tenant.token });
    expect(download.status).toBe(200);
    expect(download.headers.get("Content-Type")).toBe("application/x-tar");
    const files = untar(new Uint8Array(await download.arrayBuffer()));
    const manifest = JSON.parse(files["manifest.json"] ?? "{}") as {
      files: { path: string; rows: number }[];
    };
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      Object.keys(files)
        .filter((n) => n !== "manifest.json")
        .sort(),
    );
    const rowsOf = (store: string) => JSON.parse(files[`stores/${store}.json`] ?? "[]") as unknown[];
    for (const store of [
      "crm.contacts",
      "crm.leads",
      "finance.invoices",
      "finance.provider_events",
      "realtime.chat_messages",
      "ai.sessions_and_runs",
      "search.documents_and_embeddings",
      "resources.resources",
      "events.outbox",
    ]) {
      expect(rowsOf(store).length, store).toBeGreaterThan(0);
      expect(JSON.stringify(rowsOf(store)), store).toContain(mine);
    }
    const everything = Object.values(files).join("\n");
    expect(everything).not.toContain(theirs);

    // Another tenant's credential cannot reach it (404 as for a missing one).
    const other = await invoiceTenant();
    expect((await call(`${REQUESTS}/${body.data.id}/download`, { token: other.token })).status).toBe(404);
  });

  it("an erasure leaves no trace of the marker in any table, keeps the invoice minimised, and survives a crash mid-job", async () => {
    const tenant = await invoiceTenant();
    const marker = `era${crypto.randomUUID().slice(0, 8)}`;
    const me = await personWithRows(tenant, marker);
    expect(Object.keys(await tablesContaining(marker)).length).toBeGreaterThan(5);

    // The Worker "dies" right after the chat step committed: the step is not recorded.
    const { res, body } = await requestPrivacy(
      tenant.token,
      { kind: "erasure", subject: { type: "contact", id: me.contactId } },
      { "Nexus-Test-Fault": "crash-after:realtime.chat_messages" },
    );
    expect(res.status).toBe(202);
    const id = body.data.id;
    let stalled = await readRequest(tenant.token, id);
    for (
      let i = 0;
      i < 50 && stalled.stores.find((s) => s.store === "realtime.chat_messages")?.state !== "running";
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
      stalled = await readRequest(tenant.token, id);
    }
    expect(stalled.status).toBe("running");
    expect(stalled.stores.find((s) => s.store === "realtime.chat_messages")?.state).toBe("running");
    expect(stalled.stores.find((s) => s.store === "crm.contacts")?.state).toBe("pending");
    // Before the lease runs out nobody takes it over; after it, the scheduled handler does.
    await resumeLater(0);
    expect((await readRequest(tenant.token, id)).stores.find((s) => s.store === "crm.contacts")?.state).toBe(
      "pending",
    );
    await resumeLater(120_000);
    const done = await untilFinished(tenant.token, id);
    expect(done.status).toBe("completed");
    const chat = done.stores.find((s) => s.store === "realtime.chat_messages");
    expect(chat?.attempts).toBe(2);

    expect(await tablesContaining(marker)).toEqual({});
    const [invoice] =
      (await ownerSql()`select customer, notes, total::text, customer_contact_id from invoices where id = ${me.invoiceId}`) as {
        customer: unknown;
        notes: string;
        total: string;
        customer_contact_id: string | null;
      }[];
    expect(invoice).toMatchObject({
      customer: { name: "[redacted]" },
      customer_contact_id: null,
      total: "119.00",
    });
    const [hold] =
      (await ownerSql()`select reason, hold_until::text from privacy_legal_holds where row_id = ${me.invoiceId}`) as {
        reason: string;
        hold_until: string;
      }[];
    expect(hold?.reason).toContain("Germany: 8 years");
    expect(hold?.hold_until).toBe(`${new Date().getUTCFullYear() + 8}-12-31`);
    // The invoice and its payment are held; the payment keeps its amount, not the person's email.
    expect(done.stores.find((s) => s.store === "finance.invoices")).toMatchObject({
      action: "held",
      rows: 2,
    });
    const [payment] =
      (await ownerSql()`select customer_email, return_url, amount_minor::int as amount from payments
        where id = ${me.paymentId}`) as {
        customer_email: string | null;
        return_url: string | null;
        amount: number;
      }[];
    expect(payment).toEqual({
      customer_email: "redacted@erased.invalid",
      return_url: "https://erased.invalid/",
      amount: 11900,
    });
    expect(done.stores.find((s) => s.store === "crm.contacts")).toMatchObject({ action: "deleted", rows: 1 });
    // The stream gets a tombstone naming the erased events (ids only).
    const [tombstone] = (await ownerSql()`select payload from outbox_events
        where tenant_id = ${tenant.tenantId} and event_type = 'privacy.subject_erased'`) as {
      payload: { data: { subject_id: string; event_ids: string[] } };
    }[];
    expect(tombstone?.payload.data.subject_id).toBe(me.contactId);
    expect(tombstone?.payload.data.event_ids.length).toBeGreaterThan(0);
  });

  it("erasing a lead removes it and its events' data, and leaves the contact of another person alone", async () => {
    const tenant = await invoiceTenant();
    const marker = `led${crypto.randomUUID().slice(0, 8)}`;
    const other = `oth${crypto.randomUUID().slice(0, 8)}`;
    const lead = await call("/api/v1/crm/leads", {
      method: "POST",
      token: tenant.token,
      json: { first_name: "Cy", last_name: marker, email: `${marker}@leads.test`, source: "web" },
    });
    const leadId = (await envelope<{ id: string }>(lead)).data.id;
    const contact = await call("/api/v1/crm/contacts", {
      method: "POST",
      token: tenant.token,
      json: { first_name: "Di", last_name: other, email: `${other}@contacts.test` },
    });
    expect(contact.status).toBe(201);
    const { body } = await requestPrivacy(tenant.token, {
      kind: "erasure",
      subject: { type: "lead", id: leadId },
    });
    const done = await untilFinished(tenant.token, body.data.id);
    expect(done.status).toBe("completed");
    expect(done.stores.find((s) => s.store === "crm.leads")).toMatchObject({ action: "deleted", rows: 1 });
    expect(done.stores.find((s) => s.store === "events.outbox")?.action).toBe("anonymised");
    expect(await tablesContaining(marker)).toEqual({});
    expect(Object.keys(await tablesContaining(other))).toEqual(
      expect.arrayContaining(["contacts", "outbox_events", "search_documents"]),
    );
  });

  it("a tenant erasure removes the tenant from Postgres, its Durable Objects and Upstash", async () => {
    const tenant = await invoiceTenant({ name: `Erase Me ${crypto.randomUUID().slice(0, 8)}` });
    const marker = `ten${crypto.randomUUID().slice(0, 8)}`;
    await personWithRows(tenant, marker);
    // Requests through the API fill the tenant's rate limiter and its Upstash directory entry.
    const upstash = inject("upstash");
    const key = `${upstash.keyPrefix}tenant:${tenant.tenantId}`;
    const redis = async (command: unknown[]) =>
      (
        (await (
          await fetch(upstash.url, {
            method: "POST",
            headers: { Authorization: `Bearer ${upstash.token}` },
            body: JSON.stringify(command),
          })
        ).json()) as { result: unknown }
      ).result;
    expect(await redis(["EXISTS", key])).toBe(1);
    const limiter = placedStub(
      env.RATE_LIMITER as NonNullable<Env["RATE_LIMITER"]>,
      "eu",
      limiterName(tenant.tenantId),
      { localRuntime: true },
    );
    const hitsBefore = await runInDurableObject(limiter, (_o, state) =>
      Number(state.storage.sql.exec<{ n: number }>("select count(*) as n from hits").one().n),
    );
    expect(hitsBefore).toBeGreaterThan(0);
    // A realtime ticket puts a row naming the member in the tenant's hub.
    const hub = tenantHub(
      env.TENANT_HUB as NonNullable<Env["TENANT_HUB"]>,
      { region: "eu", localRuntime: true },
      tenant.tenantId,
    );
    await hub.issueTicket({
      tenantId: tenant.tenantId,
      region: "eu",
      userId: tenant.userId,
      permissions: ["realtime.read"],
      jti: crypto.randomUUID(),
      sessionId: null,
    });
    const hubRows = () =>
      runInDurableObject(hub, (_o, state) =>
        Number(state.storage.sql.exec<{ n: number }>("select count(*) as n from tickets").one().n),
      );
    expect(await hubRows()).toBe(1);

    const { res, body } = await requestPrivacy(tenant.token, {
      kind: "erasure",
      subject: { type: "tenant", id: tenant.tenantId },
    });
    expect(res.status).toBe(202);
    const done = await untilFinished(tenant.token, body.data.id);
    expect(done.status, JSON.stringify(done.stores)).toBe("completed");
    expect(done.stream_purge?.subject_filter).toBe(`evt.eu.${tenant.tenantId}.>`);

    const left = (await ownerSql().query(
      `select c.table_name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
       where c.table_schema = 'public' and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE'`,
    )) as { table_name: string }[];
    const remaining: Record<string, number> = {};
    for (const { table_name } of left) {
      const [row] = (await ownerSql().query(
        `select count(*)::int as n from "${table_name}" where tenant_id = $1`,
        [tenant.tenantId],
      )) as { n: number }[];
      if (row && row.n > 0) remaining[table_name] = row.n;
    }
    // Only the request's own record (ids and counts) and the relay's purge order stay.
    expect(remaining).toEqual({ privacy_requests: 1, privacy_stream_purges: 1 });
    expect(await ownerSql()`select 1 from tenants where id = ${tenant.tenantId}`).toEqual([]);
    expect(await tablesContaining(marker)).toEqual({});
    expect(await redis(["EXISTS", key])).toBe(0);
    const hitsAfter = await runInDurableObject(limiter, (_o, state) =>
      Number(state.storage.sql.exec<{ n: number }>("select count(*) as n from hits").one().n),
    );
    expect(hitsAfter).toBe(0);
    expect(await hubRows()).toBe(0);
  });

  it("Owner/Admin only: a Member is refused (own exports: privacy-users.test.ts); an unknown subject is 404", async () => {
    const tenant = await invoiceTenant();
    const member = await tenant.as("Member");
    const contact = await call("/api/v1/crm/contacts", {
      method: "POST",
      token: tenant.token,
      json: { first_name: "Bo", last_name: "Refused" },
    });
    const contactId = (await envelope<{ id: string }>(contact)).data.id;
    const refused = await requestPrivacy(member, {
      kind: "erasure",
      subject: { type: "contact", id: contactId },
    });
    expect(refused.res.status).toBe(403);
    expect((await call(REQUESTS, { token: member })).status).toBe(403);
    const missing = await requestPrivacy(tenant.token, {
      kind: "export",
      subject: { type: "contact", id: crypto.randomUUID() },
    });
    expect(missing.res.status).toBe(404);
  });
});
