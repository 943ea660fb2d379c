import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { regionDatabase } from "../../db/client";
import { loadConfig } from "../../workers/api/env";
import { sealUnsealedContacts } from "../../workers/api/services/privacy/seal-backfill";
import {
  destroySubjectKey,
  getOrCreateSubjectKey,
  type KeyScope,
  openSealed,
  revealSealed,
  seal,
  sealForSubject,
} from "../../workers/api/services/privacy/subject-keys";
import { TEST_TENANTS } from "../support/tenants";
import { LEAD_FIELDS } from "./crm-helpers";
import { call, envelope, tokenFor } from "./helpers";
import { ownerSql } from "./outbox-helpers";

interface Contact {
  id: string;
  phone: string | null;
  custom_fields: Record<string, unknown>;
}

const config = loadConfig(env);
const rootKey = config.dataEncryptionKey ?? "";
const scopeOf = (tenant: "a" | "b" | "d"): KeyScope => ({
  db: regionDatabase(config),
  tenantId: TEST_TENANTS[tenant].tenantId,
  rootKey,
});

/** Digits no other test writes: a phone (written three ways) and a date of birth. */
const run = String(Date.now()).slice(-7);
const phoneDigits = `4930${run}`;
const phone = `+49 30 ${run.slice(0, 3)}-${run.slice(3)}`;
const dateOfBirth = `19${run.slice(-2)}-02-03`;

async function createContact(tenant: "a" | "b", body: Record<string, unknown>): Promise<Contact> {
  const res = await call("/api/v1/crm/contacts", {
    method: "POST",
    json: body,
    token: await tokenFor({ tenant }),
  });
  expect(res.status).toBe(201);
  return (await envelope<Contact>(res)).data;
}

async function rowText(table: string, where: string, params: unknown[]): Promise<string> {
  const rows = (await ownerSql().query(`select t::text as row from ${table} t where ${where}`, params)) as {
    row: string;
  }[];
  return rows.map((r) => r.row).join("\n");
}

describe("per-subject data keys (crypto-shredding)", () => {
  it("seals under one key per subject, opens with one read, and opens to null once the key is destroyed", async () => {
    const scope = scopeOf("a");
    const subject = { type: "contact" as const, id: crypto.randomUUID() };
    const key = await getOrCreateSubjectKey(scope, subject);
    // The same subject gets the same key (also when asked again concurrently).
    const again = await Promise.all([
      getOrCreateSubjectKey(scope, subject),
      getOrCreateSubjectKey(scope, subject),
    ]);
    expect(again.map((k) => k.id)).toEqual([key.id, key.id]);

    const sealed = await seal(key, "Ada Lovelace");
    const dob = await sealForSubject(scope, subject, { date: "1815-12-10" });
    expect(sealed).toMatch(new RegExp(`^nxs1\\.${key.id}\\.`));
    expect(sealed).not.toContain("Ada");
    expect(await seal(key, "Ada Lovelace")).not.toBe(sealed); // random IV: no equality leak
    expect([...(await openSealed(scope, [sealed, dob])).values()]).toEqual([
      "Ada Lovelace",
      { date: "1815-12-10" },
    ]);

    // At rest: only the wrapped key, bound to its tenant and subject; the KEK is never stored.
    const stored = await rowText("subject_keys", "id = $1", [key.id]);
    expect(stored).toContain(subject.id);
    expect(rootKey).not.toBe("");
    expect(stored).not.toContain(rootKey);

    // Another tenant cannot open it, even knowing the key id.
    expect((await openSealed(scopeOf("b"), [sealed])).get(sealed)).toBeNull();

    expect((await destroySubjectKey(scope, subject)).keyIds).toEqual([key.id]);
    expect((await destroySubjectKey(scope, subject)).keyIds).toEqual([]); // idempotent
    expect(await revealSealed(scope, { name: sealed, nested: [dob], plain: "kept" })).toEqual({
      name: null,
      nested: [null],
      plain: "kept",
    });
    // The shred is recorded: the row stays without its key material.
    const [row] = (await ownerSql().query(
      "select wrapped_key, destroyed_at from subject_keys where id = $1",
      [key.id],
    )) as { wrapped_key: string | null; destroyed_at: string | null }[];
    expect(row?.wrapped_key).toBeNull();
    expect(row?.destroyed_at).not.toBeNull();

    // A later write for the same subject gets a fresh key; what was shredded stays shredded.
    const fresh = await getOrCreateSubjectKey(scope, subject);
    expect(fresh.id).not.toBe(key.id);
    expect((await openSealed(scope, [sealed])).get(sealed)).toBeNull();
  });

  it("refuses a wrapped key moved onto another subject's row", async () => {
    const scope = scopeOf("a");
    const first = await getOrCreateSubjectKey(scope, { type: "lead", id: crypto.randomUUID() });
    const second = { type: "lead" as const, id: crypto.randomUUID() };
    const victim = await getOrCreateSubjectKey(scope, second);
    const sealed = await seal(victim, "secret");
    await ownerSql().query(
      "update subject_keys set wrapped_key = (select wrapped_key from subject_keys where id = $1) where id = $2",
      [first.id, victim.id],
    );
    await expect(openSealed(scope, [sealed])).rejects.toThrow();
  });
});

describe("sensitive contact fields: sealed at rest, blind-indexed, revealed to callers", () => {
  it("stores no phone or date of birth in clear, in the table or in the event, and filters by phone", async () => {
    const contact = await createContact("a", {
      first_name: "Sensitive",
      phone,
      custom_fields: { date_of_birth: dateOfBirth, insurer: "AOK" },
    });
    // The caller gets the values back as given.
    expect(contact.phone).toBe(phone);
    expect(contact.custom_fields).toEqual({ date_of_birth: dateOfBirth, insurer: "AOK" });

    const row = await rowText("contacts", "id = $1", [contact.id]);
    expect(row).toContain("AOK"); // not sensitive: stored as is
    for (const secret of [phone, phoneDigits, dateOfBirth]) expect(row).not.toContain(secret);
    const outbox = await rowText("outbox_events", "payload->'data'->>'id' = $1", [contact.id]);
    expect(outbox).toContain("contact.created");
    for (const secret of [phone, phoneDigits, dateOfBirth]) expect(outbox).not.toContain(secret);
    const [stored] = (await ownerSql().query("select phone, phone_index from contacts where id = $1", [
      contact.id,
    ])) as { phone: string; phone_index: string }[];
    expect(stored?.phone).toMatch(/^nxs1\./);
    expect(stored?.phone_index).toMatch(/^[A-Za-z0-9+/]{43}$/);

    const token = await tokenFor({ tenant: "a" });
    const get = await envelope<Contact>(await call(`/api/v1/crm/contacts/${contact.id}`, { token }));
    expect(get.data).toMatchObject({ phone, custom_fields: { date_of_birth: dateOfBirth } });

    // Filtering: the same digits written another way match; another number or tenant does not.
    const filter = async (query: string, tenant: "a" | "b" = "a") => {
      const res = await call(`/api/v1/crm/contacts?${query}`, { token: await tokenFor({ tenant }) });
      expect(res.status).toBe(200);
      return (await envelope<Contact[]>(res)).data;
    };
    const found = await filter(`phone=${encodeURIComponent(`+${phoneDigits}`)}`);
    expect(found.map((c) => c.id)).toEqual([contact.id]);
    expect(found[0]?.phone).toBe(phone);
    expect(await filter(`phone=${encodeURIComponent(`+${phoneDigits}9`)}`)).toEqual([]);
    expect(await filter(`phone=${encodeURIComponent(`+${phoneDigits}`)}`, "b")).toEqual([]);
    expect((await call("/api/v1/crm/contacts?phone=abc", { token })).status).toBe(400);

    // The events API shows the event opened, as the webhooks and sockets receive it.
    const events = await envelope<{ data: Contact }[]>(
      await call("/api/v1/events?event_type=contact.created&limit=20", { token }),
    );
    expect(events.data.find((e) => e.data.id === contact.id)?.data).toMatchObject({
      phone,
      custom_fields: { date_of_birth: dateOfBirth },
    });
  });

  it("after the contact's key is destroyed, its phone and date of birth read as null everywhere", async () => {
    const contact = await createContact("a", {
      first_name: "Shredded",
      phone: `+44 20 ${run}`,
      custom_fields: { date_of_birth: dateOfBirth },
    });
    await destroySubjectKey(scopeOf("a"), { type: "contact", id: contact.id });
    const token = await tokenFor({ tenant: "a" });
    const get = await envelope<Contact>(await call(`/api/v1/crm/contacts/${contact.id}`, { token }));
    expect(get.data.phone).toBeNull();
    expect(get.data.custom_fields).toEqual({ date_of_birth: null });
    const events = await envelope<{ data: Contact }[]>(
      await call("/api/v1/events?event_type=contact.created&limit=20", { token }),
    );
    expect(events.data.find((e) => e.data.id === contact.id)?.data.phone).toBeNull();
  });

  it("a contact without sensitive fields gets no key", async () => {
    const contact = await createContact("a", { first_name: "Plain" });
    const keys = await ownerSql().query("select id from subject_keys where subject_id = $1", [contact.id]);
    expect(keys).toEqual([]);
  });

  it("contacts stored in clear before sealing (older rows, seeds) are sealed by the scheduled backfill", async () => {
    const id = crypto.randomUUID();
    const oldPhone = `+33 1 ${run}`;
    await ownerSql().query(
      `insert into contacts (id, tenant_id, first_name, phone, custom_fields)
       values ($1, $2, 'Older', $3, $4)`,
      [id, TEST_TENANTS.a.tenantId, oldPhone, JSON.stringify({ date_of_birth: dateOfBirth, note: "kept" })],
    );
    const leadId = crypto.randomUUID();
    await ownerSql().query(
      "insert into leads (id, tenant_id, first_name, phone) values ($1, $2, 'Older lead', $3)",
      [leadId, TEST_TENANTS.a.tenantId, oldPhone],
    );
    const result = await sealUnsealedContacts(scopeOf("a").db, rootKey);
    expect(result.sealed).toBeGreaterThanOrEqual(2);
    expect(await rowText("leads", "id = $1", [leadId])).not.toContain(oldPhone);
    const lead = await envelope<{ phone: string }>(
      await call(`/api/v1/crm/leads/${leadId}`, { token: await tokenFor({ tenant: "a" }) }),
    );
    expect(lead.data.phone).toBe(oldPhone);
    const row = await rowText("contacts", "id = $1", [id]);
    expect(row).toContain("kept");
    for (const secret of [oldPhone, dateOfBirth]) expect(row).not.toContain(secret);

    const token = await tokenFor({ tenant: "a" });
    const get = await envelope<Contact>(await call(`/api/v1/crm/contacts/${id}`, { token }));
    expect(get.data).toMatchObject({
      phone: oldPhone,
      custom_fields: { date_of_birth: dateOfBirth, note: "kept" },
    });
    const found = await envelope<Contact[]>(
      await call(`/api/v1/crm/contacts?phone=${encodeURIComponent(oldPhone.replaceAll(" ", ""))}`, { token }),
    );
    expect(found.data.map((c) => c.id)).toEqual([id]);
    // Nothing is left to seal for it: a second run leaves the row as it is.
    const before = await rowText("contacts", "id = $1", [id]);
    await sealUnsealedContacts(scopeOf("a").db, rootKey);
    expect(await rowText("contacts", "id = $1", [id])).toBe(before);
  });

  it("a lead's phone is sealed under the lead's key, and under the new contact's when converted", async () => {
    const token = await tokenFor({ tenant: "d" });
    const leadPhone = `+234 809 ${run}`;
    const created = await call("/api/v1/crm/leads", {
      method: "POST",
      json: { first_name: "Lead", phone: leadPhone, custom_fields: LEAD_FIELDS },
      token,
    });
    expect(created.status).toBe(201);
    const lead = (await envelope<{ id: string; phone: string }>(created)).data;
    expect(lead.phone).toBe(leadPhone);
    for (const text of [
      await rowText("leads", "id = $1", [lead.id]),
      await rowText("outbox_events", "payload->'data'->>'id' = $1", [lead.id]),
    ])
      expect(text).not.toContain(`809 ${run}`);

    const converted = await call(`/api/v1/crm/leads/${lead.id}/convert`, {
      method: "POST",
      json: { contact: { custom_fields: { client_status: "prospect" } } },
      token,
    });
    expect(converted.status).toBe(201);
    const { contact } = (await envelope<{ contact: Contact; lead: { phone: string } }>(converted)).data;
    expect(contact.phone).toBe(leadPhone);
    const keys = (await ownerSql().query(
      "select subject_type, subject_id from subject_keys where subject_id = any($1::uuid[])",
      [[lead.id, contact.id]],
    )) as { subject_type: string; subject_id: string }[];
    expect(keys.map((k) => k.subject_type).sort()).toEqual(["contact", "lead"]);
    const [stored] = (await ownerSql().query("select phone from contacts where id = $1", [contact.id])) as {
      phone: string;
    }[];
    const contactKey = keys.find((k) => k.subject_type === "contact");
    expect(stored?.phone).toMatch(/^nxs1\./);
    // Sealed under the contact's own key: destroying the lead's leaves the contact's phone readable.
    await destroySubjectKey(scopeOf("d"), { type: "lead", id: lead.id });
    const got = await envelope<Contact>(await call(`/api/v1/crm/contacts/${contact.id}`, { token }));
    expect(got.data.phone).toBe(leadPhone);
    const leadNow = await envelope<{ phone: string | null }>(
      await call(`/api/v1/crm/leads/${lead.id}`, { token }),
    );
    expect(leadNow.data.phone).toBeNull();
    expect(contactKey?.subject_id).toBe(contact.id);
  });

  it("an idempotent create's stored response is sealed too, and replays in clear", async () => {
    const token = await tokenFor({ tenant: "a" });
    const key = `privacy-${crypto.randomUUID()}`;
    const body = {
      first_name: "Replayed",
      phone: `+39 06 ${run}`,
      custom_fields: { date_of_birth: dateOfBirth },
    };
    const post = () =>
      call("/api/v1/crm/contacts", {
        method: "POST",
        json: body,
        token,
        headers: { "Idempotency-Key": key },
      });
    const first = await post();
    expect(first.status).toBe(201);
    const firstText = await first.text();
    const stored = await rowText("idempotency_keys", "key = $1", [key]);
    expect(stored).toContain(key);
    for (const secret of [`06 ${run}`, dateOfBirth, "Replayed"]) expect(stored).not.toContain(secret);
    const replayed = await post();
    expect(replayed.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await replayed.text()).toBe(firstText);
    expect(firstText).toContain(`+39 06 ${run}`);
  });
});
