import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  createDraft,
  FINANCE_INVOICES,
  finalized,
  INVOICES,
  invoices,
  invoiceTenant,
  NGN_DRAFT,
} from "./finance-invoice-helpers";
import { connect } from "./finance-webhook-helpers";
import { asTenant } from "./oauth-helpers";

const ROLES = ["Owner", "Admin", "Manager", "Member", "Viewer", "Guest"] as const;
type Role = (typeof ROLES)[number];

const READERS: Role[] = ["Owner", "Admin", "Manager", "Member", "Viewer"];
const WRITERS: Role[] = ["Owner", "Admin", "Manager", "Member"];
const VOIDERS: Role[] = ["Owner", "Admin", "Manager"];

/**
 * Every invoice route, with who may use it and a request that succeeds for those who may. Each
 * `prepare` makes the invoice the route needs in the state it needs.
 */
type Prepare = (owner: string) => Promise<string>;
const draft: Prepare = async (owner) => (await createDraft(owner)).body.data.id;
const open: Prepare = async (owner) => (await finalized(owner)).id;
const none: Prepare = async () => "";

const ROUTES: {
  method: string;
  path: (id: string) => string;
  allowed: Role[];
  prepare: Prepare;
  json?: unknown;
  key?: boolean;
  ok: number;
}[] = [
  { method: "GET", path: () => "", allowed: READERS, prepare: none, ok: 200 },
  { method: "POST", path: () => "", allowed: WRITERS, prepare: none, json: NGN_DRAFT, ok: 201 },
  { method: "GET", path: (id) => `/${id}`, allowed: READERS, prepare: draft, ok: 200 },
  {
    method: "PATCH",
    path: (id) => `/${id}`,
    allowed: WRITERS,
    prepare: draft,
    json: { notes: "n" },
    ok: 200,
  },
  { method: "DELETE", path: (id) => `/${id}`, allowed: WRITERS, prepare: draft, ok: 204 },
  { method: "POST", path: (id) => `/${id}/finalize`, allowed: WRITERS, prepare: draft, ok: 200 },
  { method: "POST", path: (id) => `/${id}/void`, allowed: VOIDERS, prepare: open, ok: 200 },
  { method: "POST", path: (id) => `/${id}/mark-uncollectible`, allowed: WRITERS, prepare: open, ok: 200 },
  { method: "GET", path: (id) => `/${id}/pdf`, allowed: READERS, prepare: draft, ok: 200 },
  {
    method: "POST",
    path: (id) => `/${id}/pay`,
    allowed: WRITERS,
    prepare: open,
    json: { return_url: "https://shop.example.ng/thanks" },
    key: true,
    ok: 201,
  },
];

describe("invoices: permissions", () => {
  it.each([INVOICES, FINANCE_INVOICES])(
    "every route under %s: its roles succeed, the others get 403 (a Member cannot void, a Viewer only reads, a Guest nothing)",
    async (base) => {
      const { token: owner, as } = await invoiceTenant();
      await connect(owner, "paystack");
      for (const route of ROUTES) {
        for (const role of ROLES) {
          const token = role === "Owner" ? owner : await as(role);
          const id = await route.prepare(owner);
          const res = await invoices(
            route.path(id),
            {
              method: route.method,
              token,
              ...(route.json === undefined ? {} : { json: route.json }),
              ...(route.key ? { headers: { "Idempotency-Key": crypto.randomUUID() } } : {}),
            },
            base,
          );
          const label = `${role} ${route.method} ${base}${route.path("{id}")}`;
          if (route.allowed.includes(role)) expect(res.status, label).toBe(route.ok);
          else {
            expect(res.status, label).toBe(403);
            expect(res.body.errors?.[0]?.code, label).toBe("FORBIDDEN");
          }
        }
      }
    },
    60_000,
  );

  it("a Member's refused void changes nothing", async () => {
    const { token: owner, as } = await invoiceTenant();
    const invoice = await finalized(owner);
    expect(
      (await invoices(`/${invoice.id}/void`, { method: "POST", token: await as("Member") })).status,
    ).toBe(403);
    expect((await invoices(`/${invoice.id}`, { token: owner })).body.data).toMatchObject({
      status: "open",
      revision: 2,
    });
  });
});

describe("invoices: tenant isolation", () => {
  it("another tenant's id answers exactly like a missing one on every id route, and changes nothing", async () => {
    const mine = await invoiceTenant();
    const intruder = await invoiceTenant();
    const target = (await createDraft(mine.token)).body.data;
    const openOne = await finalized(mine.token);
    const routes: [string, string, unknown, string][] = [
      ["GET", "", undefined, target.id],
      ["PATCH", "", { notes: "mine now" }, target.id],
      ["DELETE", "", undefined, target.id],
      ["POST", "/finalize", undefined, target.id],
      ["POST", "/void", undefined, openOne.id],
      ["POST", "/mark-uncollectible", undefined, openOne.id],
      ["GET", "/pdf", undefined, target.id],
    ];
    for (const base of [INVOICES, FINANCE_INVOICES]) {
      for (const [method, suffix, json, id] of routes) {
        const init = { method, token: intruder.token, ...(json === undefined ? {} : { json }) };
        const theirs = await invoices(`/${id}${suffix}`, init, base);
        const missing = await invoices(`/${crypto.randomUUID()}${suffix}`, init, base);
        const label = `${method} ${base}/{id}${suffix}`;
        expect(theirs.status, label).toBe(404);
        expect(theirs.body.errors, label).toEqual(missing.body.errors);
        expect(theirs.body.errors?.[0]?.message, label).toBe("Invoice not found");
      }
    }
    const list = await invoices<{ id: string }[]>("?limit=200", { token: intruder.token });
    expect(list.body.data).toEqual([]);
    expect((await invoices(`/${target.id}`, { token: mine.token })).body.data).toEqual(target);
    expect((await invoices(`/${openOne.id}`, { token: mine.token })).body.data).toEqual(openOne);
  });

  it("row-level security: the app role sees only the current tenant's invoices, lines and series, and deletes none", async () => {
    const mine = await invoiceTenant();
    const other = await invoiceTenant();
    const invoice = await finalized(mine.token);
    for (const table of ["invoices", "invoice_lines", "invoice_sequences"]) {
      const [seen = []] = await asTenant(
        other.tenantId,
        sql`select count(*)::int as n from ${sql.raw(table)} where tenant_id = ${mine.tenantId}`,
      );
      expect((seen[0] as { n: number }).n, table).toBe(0);
    }
    await expect(
      asTenant(
        other.tenantId,
        sql`insert into invoice_sequences (tenant_id, series, last_number) values (${mine.tenantId}, 'INV', 99)`,
      ),
    ).rejects.toMatchObject({ code: "42501" });
    // A numbered invoice is never deleted by the app, not even by its own tenant.
    await expect(
      asTenant(mine.tenantId, sql`delete from invoices where id = ${invoice.id}`),
    ).rejects.toMatchObject({ code: "42501" });
  });
});
