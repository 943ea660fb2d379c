import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PRESETS } from "../../db/presets";
import { parseActivationId } from "../../workers/api/activation/activation-id";
import { STEP_NAMES } from "../../workers/api/activation/steps";
import { FORWARDED_FROM_HEADER } from "../../workers/api/auth/forwarded-client";
import { ACTIVATION_LIMIT } from "../../workers/api/limits/per-address";
import type { ActivationStatus } from "../../workers/api/schemas/activation";
import { call, envelope } from "./helpers";
import { fieldsOf } from "./iam-helpers";
import { tokensFor } from "./oauth-helpers";
import { ownerSql } from "./outbox-helpers";

const ACTIVATE = "/api/v1/activate";
const PASSWORD = "correct horse battery staple";

/** A client address of its own per test, so no other test's sign-ups share its counter. */
const address = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}`;

function signUp(overrides: Record<string, unknown> = {}) {
  const tag = crypto.randomUUID().slice(0, 8);
  return {
    business_name: `Müller Werkzeuge ${tag}`,
    country: "DE",
    preset: "retail",
    owner: { name: `Greta ${tag}`, email: `greta-${tag}@werkzeuge.example`, password: PASSWORD },
    ...overrides,
  };
}

function activate(
  body: unknown,
  o: { ip?: string; fault?: string; path?: string; headers?: Record<string, string> } = {},
) {
  return call(o.path ?? ACTIVATE, {
    method: "POST",
    token: null,
    json: body,
    headers: {
      "CF-Connecting-IP": o.ip ?? address(),
      ...(o.fault ? { "Nexus-Test-Fault": `activation:${o.fault}` } : {}),
      ...o.headers,
    },
  });
}

interface Accepted {
  id: string;
  state: string;
  region: string;
  tenant_id: string;
  status_url: string;
}

async function accepted(res: Response): Promise<Accepted> {
  expect(res.status, await res.clone().text()).toBe(202);
  return (await envelope<Accepted>(res)).data;
}

const statusOf = async (id: string) =>
  call(`/api/v1/nexus/activation/${id}/status`, { token: null, headers: { "CF-Connecting-IP": address() } });

/** Polls the status until the run has finished (or the deadline passes). */
async function finished(id: string, timeoutMs = 15_000): Promise<ActivationStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await statusOf(id);
    expect(res.status).toBe(200);
    const status = (await envelope<ActivationStatus>(res)).data;
    if (status.state !== "running") return status;
    if (Date.now() > deadline) throw new Error(`activation still running: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sql = () => ownerSql();

/** What the run made, counted behind the API's back (owner connection, no row-level security). */
async function madeFor(tenantId: string, email: string) {
  const q = sql();
  const [tenants, users, memberships, roles, stages, fields, clients, events, activations] =
    await Promise.all([
      q`select id, region, status, industry, tier, default_currency, is_deleted from tenants where id = ${tenantId}`,
      q`select id, is_deleted, password_hash is not null as has_password from users where lower(email) = lower(${email})`,
      q`select m.user_id, r.name from memberships m join roles r on r.id = m.role_id where m.tenant_id = ${tenantId}`,
      q`select name, is_system, permissions from roles where tenant_id = ${tenantId}`,
      q`select stage_key from pipeline_stages where tenant_id = ${tenantId} order by position`,
      q`select entity, field_key from custom_field_definitions where tenant_id = ${tenantId}`,
      q`select client_id, client_type from oauth_clients where tenant_id = ${tenantId}`,
      q`select event_type, payload, published_at is not null as published from outbox_events where tenant_id = ${tenantId}`,
      q`select state, owner_email, owner_name, password_hash from activations where tenant_id = ${tenantId}`,
    ]);
  return { tenants, users, memberships, roles, stages, fields, clients, events, activations };
}

const retail = PRESETS.find((p) => p.id === "retail");
if (!retail) throw new Error("retail preset missing");

/** Exactly one of everything the retail preset makes, and the run's Postgres row finished clean. */
function expectOneOfEverything(made: Awaited<ReturnType<typeof madeFor>>, ownerId: string) {
  expect(made.tenants).toHaveLength(1);
  expect(made.users).toHaveLength(1);
  expect(made.users[0]).toMatchObject({ id: ownerId, is_deleted: false, has_password: true });
  expect(made.memberships).toEqual([{ user_id: ownerId, name: "Owner" }]);
  expect(made.roles).toHaveLength(6 + (retail?.roles.length ?? 0));
  expect(made.stages.map((s) => s.stage_key)).toEqual(retail?.pipeline.map((s) => s.id));
  expect(made.fields).toHaveLength(
    (retail?.customFields.contact.length ?? 0) + (retail?.customFields.lead.length ?? 0),
  );
  expect(made.clients).toHaveLength(1);
  expect(made.events.map((e) => e.event_type)).toEqual(["tenant.activated"]);
  // The personal fields were copied into users and cleared from the sign-up's row.
  expect(made.activations).toEqual([
    { state: "completed", owner_email: null, owner_name: null, password_hash: null },
  ]);
}

describe("POST /api/v1/activate (open sign-up)", () => {
  it("activates a German business in the EU: 202, status with every step, a working owner", async () => {
    const body = signUp();
    const res = await activate(body);
    const a = await accepted(res);
    expect(a.id).toMatch(/^act_eu_[0-9a-f]{32}$/);
    expect(a.region).toBe("eu");
    expect(a.status_url).toBe(`http://127.0.0.1:8787/api/v1/nexus/activation/${a.id}/status`);
    expect(res.headers.get("Location")).toBe(a.status_url);

    const status = await finished(a.id);
    // The platform spec's path serves the same status (status_url keeps the nexus path).
    const spec = await call(`/api/v1/activation/${a.id}/status`, {
      token: null,
      headers: { "CF-Connecting-IP": address() },
    });
    expect(spec.status).toBe(200);
    expect((await envelope<ActivationStatus>(spec)).data).toEqual(status);
    expect(status).toMatchObject({
      id: a.id,
      state: "completed",
      percent: 100,
      region: "eu",
      tenant_id: a.tenant_id,
    });
    expect(status.steps.map((s) => s.name)).toEqual([...STEP_NAMES]);
    for (const step of status.steps) {
      expect(step).toMatchObject({ state: "done", attempts: 1, error: null });
      expect(step.duration_ms).toBeGreaterThanOrEqual(0);
      expect(Date.parse(step.finished_at ?? "")).toBeGreaterThanOrEqual(Date.parse(step.started_at ?? ""));
    }
    expect(status.errors).toEqual([]);
    expect(status.duration_ms).toBeGreaterThan(0);
    expect(status.sign_in).toMatchObject({
      issuer: "http://127.0.0.1:8787",
      authorization_endpoint: "http://127.0.0.1:8787/oauth/authorize",
    });
    expect(status.sign_in?.client_id).toMatch(/^nxc_eu_[0-9a-f]{24}$/);

    const made = await madeFor(a.tenant_id, body.owner.email);
    expect(made.tenants[0]).toMatchObject({
      region: "eu",
      status: "active",
      industry: "retail",
      tier: retail.rateLimitTier,
      default_currency: "EUR",
      is_deleted: false,
    });
    const ownerId = made.users[0]?.id as string;
    expectOneOfEverything(made, ownerId);
    expect(made.clients[0]).toMatchObject({ client_id: status.sign_in?.client_id, client_type: "public" });
    // Published by the run itself, not left for the minute's sweep.
    expect(made.events[0]?.published).toBe(true);
    expect(made.events[0]?.payload).toMatchObject({
      event_type: "tenant.activated",
      tenant_id: a.tenant_id,
      source: "nexus-service",
      data: { region: "eu", country: "DE", preset: "retail", owner_id: ownerId },
    });

    // The owner signs in with the password chosen at sign-up and works in the new tenant.
    const tokens = await tokensFor({ email: body.owner.email, password: PASSWORD });
    const contacts = await call("/api/v1/crm/contacts", { token: tokens.access_token });
    expect(contacts.status).toBe(200);
    expect((await envelope<unknown[]>(contacts)).data).toEqual([]);
  });

  it("is served at /api/v1/nexus/activate too, and honours options", async () => {
    const slug = `praxis-${crypto.randomUUID().slice(0, 8)}`;
    const body = signUp({ country: "at", preset: "clinic", options: { slug, currency: "CHF" } });
    const a = await accepted(await activate(body, { path: "/api/v1/nexus/activate" }));
    expect((await finished(a.id)).state).toBe("completed");
    const [tenant] =
      await sql()`select slug, country, industry, default_currency from tenants where id = ${a.tenant_id}`;
    expect(tenant).toEqual({ slug, country: "AT", industry: "clinic", default_currency: "CHF" });
  });

  it("answers field errors for what is missing or wrong", async () => {
    const res = await activate({
      business_name: "",
      country: "XX",
      preset: "bakery",
      owner: { name: "A", email: "not-an-email", password: "short" },
      options: { redirect_uris: ["http://evil.example/cb"] },
      tenant_id: "0e0e0e0e-0000-4000-8000-000000000001",
    });
    expect(res.status).toBe(400);
    const body = await envelope(res);
    expect(body.errors?.every((e) => e.code === "VALIDATION_ERROR")).toBe(true);
    expect(fieldsOf(body)).toEqual(
      expect.arrayContaining(["business_name", "country", "preset", "owner.email", "owner.password"]),
    );
    expect((await envelope(await activate({}))).errors?.map((e) => e.field)).toEqual(
      expect.arrayContaining(["business_name", "country", "preset", "owner"]),
    );
    const uri = await envelope(
      await activate(signUp({ options: { redirect_uris: ["http://evil.example/cb"] } })),
    );
    expect(fieldsOf(uri)).toEqual(["options.redirect_uris.0"]);
    const unknown = await envelope(await activate(signUp({ tenant_id: crypto.randomUUID() })));
    expect(unknown.errors?.[0]?.message).toMatch(/tenant_id/);
  });

  it("suggests the ISO code for a common alias of a country (UK → GB, EL → GR)", async () => {
    for (const [sent, iso] of [
      ["UK", "GB"],
      ["uk", "GB"],
      ["EL", "GR"],
      ["ZR", "CD"],
    ] as const) {
      const res = await activate(signUp({ country: sent }));
      expect(res.status, sent).toBe(400);
      const errors = (await envelope(res)).errors ?? [];
      expect(errors.map((e) => e.field)).toEqual(["country"]);
      expect(errors[0]?.message).toBe(
        `${sent.toUpperCase()} is not an ISO 3166-1 alpha-2 code: did you mean ${iso}?`,
      );
    }
    const gb = await accepted(await activate(signUp({ country: "GB" })));
    expect(gb.region).toBe("eu");
    expect((await finished(gb.id)).state).toBe("completed");
  });

  it("refuses a common or breached password (offline check), saying why", async () => {
    for (const password of ["password1234", "Password123!", "qwertyuiop12", "iloveyou2024"]) {
      const base = signUp();
      const res = await activate({ ...base, owner: { ...base.owner, password } });
      expect(res.status, password).toBe(400);
      const errors = (await envelope(res)).errors ?? [];
      expect(
        errors.map((e) => e.field),
        password,
      ).toEqual(["owner.password"]);
      expect(errors[0]?.message, password).toMatch(/too easy to guess.*common or breached password/);
    }
  });

  it("refuses the same business or the same owner again with 409, and parallel duplicates run once", async () => {
    const body = signUp();
    const first = await accepted(await activate(body));
    const again = await activate(body);
    expect(again.status).toBe(409);
    expect(fieldsOf(await envelope(again))).toEqual(["options.slug"]);

    const sameOwner = await activate(signUp({ owner: body.owner }));
    expect(sameOwner.status).toBe(409);
    expect(fieldsOf(await envelope(sameOwner))).toEqual(["owner.email"]);
    await finished(first.id);
    // Still refused once the first run is done (now the tenants and users tables say so).
    expect((await activate(body)).status).toBe(409);
    expect((await activate(signUp({ owner: body.owner }))).status).toBe(409);

    const twin = signUp();
    const responses = await Promise.all([activate(twin), activate(twin), activate(twin)]);
    expect(responses.map((r) => r.status).sort()).toEqual([202, 409, 409]);
    const winner = responses.find((r) => r.status === 202);
    await finished((await accepted(winner as Response)).id);
    const tenants = await sql()`select id from tenants where name = ${twin.business_name}`;
    expect(tenants).toHaveLength(1);
  });

  it.each(STEP_NAMES)(
    "a run that crashes right after %s committed resumes and makes everything exactly once",
    async (step) => {
      const body = signUp();
      const a = await accepted(await activate(body, { fault: `crash-after:${step}` }));
      const status = await finished(a.id);
      expect(status.state).toBe("completed");
      const attempts = Object.fromEntries(status.steps.map((s) => [s.name, s.attempts]));
      expect(attempts[step]).toBe(2);
      expect(status.steps.every((s) => s.state === "done")).toBe(true);
      const made = await madeFor(a.tenant_id, body.owner.email);
      expectOneOfEverything(made, made.users[0]?.id as string);
    },
  );

  it("retries a failing step, and keeps its error in the status", async () => {
    const body = signUp();
    const a = await accepted(await activate(body, { fault: "fail:owner_and_roles" }));
    const status = await finished(a.id);
    expect(status.state).toBe("completed");
    const step = status.steps.find((s) => s.name === "owner_and_roles");
    expect(step).toMatchObject({ state: "done", attempts: 2 });
    expect(step?.error).toEqual({
      code: "INTERNAL_ERROR",
      message: "Injected failure before owner_and_roles committed",
    });
    expect(status.errors).toEqual([{ step: "owner_and_roles", ...step?.error }]);
  });

  it("a run that cannot finish takes back what it made, so the same sign-up can be sent again", async () => {
    const body = signUp();
    const a = await accepted(await activate(body, { fault: "conflict:oauth_client" }));
    const status = await finished(a.id);
    expect(status.state).toBe("failed");
    expect(status.percent).toBeLessThan(100);
    expect(status.sign_in).toBeNull();
    expect(status.steps.find((s) => s.name === "oauth_client")).toMatchObject({
      state: "failed",
      attempts: 1,
      error: { code: "CONFLICT" },
    });
    expect(status.steps.find((s) => s.name === "directory_entry")?.state).toBe("pending");
    const made = await madeFor(a.tenant_id, body.owner.email);
    expect(made.tenants[0]).toMatchObject({ is_deleted: true, status: "suspended" });
    expect(made.users.every((u) => u.is_deleted)).toBe(true);
    expect(made.activations).toEqual([
      { state: "failed", owner_email: null, owner_name: null, password_hash: null },
    ]);

    const again = await accepted(await activate(body));
    expect((await finished(again.id)).state).toBe("completed");
  });

  it("keeps no personal data in the Durable Object", async () => {
    const body = signUp();
    const a = await accepted(await activate(body));
    await finished(a.id);
    const parsed = parseActivationId(a.id);
    const ns = env.ACTIVATION_RUN;
    if (!parsed || !ns) throw new Error("no activation binding");
    const run = await ns.get(ns.idFromName(`activation:${parsed.uuid}`)).status();
    const stored = JSON.stringify(run);
    expect(stored).toContain(a.tenant_id);
    for (const personal of [body.owner.email, body.owner.name, body.business_name, PASSWORD]) {
      expect(stored).not.toContain(personal);
    }
  });

  it("forwards a Nigerian business to Lagos (unreachable in this test: 503), and refuses a second hop", async () => {
    const res = await activate(signUp({ country: "NG" }));
    expect(res.status).toBe(503);
    expect((await envelope(res)).errors?.[0]?.message).toMatch(/lagos is unreachable/);
    expect(res.headers.get("Retry-After")).toBeTruthy();
    const looped = await activate(signUp({ country: "GH" }), { headers: { [FORWARDED_FROM_HEADER]: "eu" } });
    expect(looped.status).toBe(508);
    // A Lagos activation's status is Lagos's to answer.
    const status = await statusOf(`act_ng_${"0".repeat(32)}`);
    expect(status.status).toBe(503);
  });

  it("answers 404 for an unknown or malformed activation id", async () => {
    for (const id of [`act_eu_${"a".repeat(32)}`, "act_eu_nothex", "nope", `act_xx_${"a".repeat(32)}`]) {
      const res = await statusOf(id);
      expect(res.status, id).toBe(404);
      expect((await envelope(res)).errors?.[0]?.code).toBe("NOT_FOUND");
    }
  });

  it(`limits one address to ${ACTIVATION_LIMIT.limit} sign-ups an hour`, async () => {
    // An address no other test draws from (the others share 198.51.100.0/24 at random).
    const ip = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}::1`;
    const body = signUp();
    expect((await activate(body, { ip })).status).toBe(202);
    for (let i = 1; i < ACTIVATION_LIMIT.limit; i++) expect((await activate(body, { ip })).status).toBe(409);
    const refused = await activate(signUp(), { ip });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await activate(signUp())).status).toBe(202);
  });
});
