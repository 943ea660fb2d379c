import { describe, expect, it } from "vitest";
import { PERMISSIONS } from "../../workers/api/auth/permissions";
import { call, tokenFor } from "./helpers";
import { fieldsOf, iam, jwtPayload, memberWhoCanSignIn, unique } from "./iam-helpers";
import { refresh, tokensFor } from "./oauth-helpers";

type Role = { id: string; name: string; permissions: string[]; is_system: boolean };

async function createRole(permissions: string[], token?: string) {
  const name = unique("Role");
  const res = await iam("/roles", {
    method: "POST",
    json: { name, permissions },
    ...(token ? { token } : {}),
  });
  return { ...res, role: res.body.data as Role, name };
}

describe("iam permissions and roles", () => {
  it("serves the permission catalogue with the system roles holding each", async () => {
    const { res, body } = await iam("/permissions");
    expect(res.status).toBe(200);
    const catalogue = body.data as { name: string; system_roles: string[] }[];
    expect(catalogue.map((p) => p.name)).toEqual([...PERMISSIONS]);
    expect(catalogue.find((p) => p.name === "iam.members.read")?.system_roles).toEqual([
      "Owner",
      "Admin",
      "Manager",
    ]);
  });

  it("lists the six system roles with their fixed permissions", async () => {
    const { body } = await iam("/roles?limit=200");
    const roles = body.data as Role[];
    const system = roles.filter((r) => r.is_system);
    expect(system.map((r) => r.name).sort()).toEqual([
      "Admin",
      "Guest",
      "Manager",
      "Member",
      "Owner",
      "Viewer",
    ]);
    expect(system.find((r) => r.name === "Viewer")?.permissions).toEqual([
      "crm.contacts.read",
      "crm.leads.read",
      "crm.opportunities.read",
      "finance.invoices.read",
      "finance.payments.read",
      "tenant.settings.read",
      "resources.read",
      "ai.agents.read",
      "ai.runs.read",
      "ai.runs.write",
    ]);
    expect(system.find((r) => r.name === "Owner")?.permissions).toEqual([...PERMISSIONS]);
    const owner = system.find((r) => r.name === "Owner");
    expect((await iam(`/roles/${owner?.id}`, { method: "PATCH", json: { name: "Boss" } })).res.status).toBe(
      409,
    );
    expect((await iam(`/roles/${owner?.id}`, { method: "DELETE" })).res.status).toBe(409);
  });

  it("creates, reads, changes and deletes a custom role, auditing each", async () => {
    const { res, role, name } = await createRole(["crm.contacts.read"]);
    expect(res.status).toBe(201);
    expect(res.headers.get("Location")).toBe(`/api/v1/iam/roles/${role.id}`);
    expect(role).toMatchObject({ name, permissions: ["crm.contacts.read"], is_system: false });
    const dup = await iam("/roles", { method: "POST", json: { name: name.toUpperCase(), permissions: [] } });
    expect(dup.res.status).toBe(409);
    const changed = await iam(`/roles/${role.id}`, {
      method: "PATCH",
      json: { permissions: ["crm.contacts.read", "iam.audit.read"], description: "Reads" },
    });
    expect(changed.res.status).toBe(200);
    expect(changed.body.data).toMatchObject({
      permissions: ["crm.contacts.read", "iam.audit.read"],
      description: "Reads",
    });
    expect((await iam(`/roles/${role.id}`)).body.data).toMatchObject({ name });
    expect((await iam(`/roles/${role.id}`, { method: "DELETE" })).res.status).toBe(204);
    expect((await iam(`/roles/${role.id}`)).res.status).toBe(404);
    for (const action of ["iam.role_created", "iam.role_updated", "iam.role_deleted"]) {
      const audit = await iam(`/audit?action=${action}&limit=200`);
      expect((audit.body.data as { target_id: string }[]).some((e) => e.target_id === role.id)).toBe(true);
    }
  });

  it("rejects system names, unknown permissions, duplicates in a list and unknown fields", async () => {
    const reserved = await iam("/roles", { method: "POST", json: { name: "owner", permissions: [] } });
    expect(reserved.res.status).toBe(400);
    expect(fieldsOf(reserved.body)).toEqual(["name"]);
    const unknown = await iam("/roles", {
      method: "POST",
      json: { name: unique("R"), permissions: ["root.all"] },
    });
    expect(fieldsOf(unknown.body)).toEqual(["permissions.0"]);
    const twice = await iam("/roles", {
      method: "POST",
      json: { name: unique("R"), permissions: ["crm.contacts.read", "crm.contacts.read"] },
    });
    expect(fieldsOf(twice.body)).toEqual(["permissions"]);
    const extra = await iam("/roles", {
      method: "POST",
      json: { name: unique("R"), permissions: [], is_system: true },
    });
    expect(extra.res.status).toBe(400);
  });

  it("a role still assigned cannot be deleted; another tenant's role is 404", async () => {
    const { role, name } = await createRole([]);
    const { id } = await memberWhoCanSignIn(name);
    expect((await iam(`/roles/${role.id}`, { method: "DELETE" })).res.status).toBe(409);
    expect((await iam(`/roles/${role.id}`, { tenant: "a" })).res.status).toBe(404);
    expect((await iam(`/members/${id}`, { method: "DELETE" })).res.status).toBe(204);
    expect((await iam(`/roles/${role.id}`, { method: "DELETE" })).res.status).toBe(204);
  });

  it("nobody builds a role above their own permissions", async () => {
    const token = await tokenFor({
      tenant: "c",
      role: "RoleAdmin",
      permissions: "iam.roles.read iam.roles.write",
    });
    expect((await createRole(["crm.contacts.write"], token)).res.status).toBe(403);
    expect((await createRole(["iam.roles.read"], token)).res.status).toBe(201);
  });

  it("a token pairing a system role with its own permission list is refused", async () => {
    const forged = await tokenFor({ tenant: "c", role: "Viewer", permissions: "iam.members.write" });
    expect((await call("/api/v1/crm/contacts", { token: forged })).status).toBe(401);
  });

  it("a custom role's real token can do exactly its permissions; a change arrives at the next refresh", async () => {
    const { name, role } = await createRole(["crm.contacts.read", "iam.audit.read"]);
    const { email } = await memberWhoCanSignIn(name);
    const tokens = await tokensFor({ email });
    expect(jwtPayload(tokens.access_token)).toMatchObject({
      role: name,
      perms: "crm.contacts.read iam.audit.read",
    });
    const as = (token: string, path: string, init: { method?: string; json?: unknown } = {}) =>
      call(path, { token, ...init });
    const newContact = { method: "POST", json: { first_name: "Custom" } };
    expect((await as(tokens.access_token, "/api/v1/crm/contacts")).status).toBe(200);
    expect((await as(tokens.access_token, "/api/v1/iam/audit")).status).toBe(200);
    expect((await as(tokens.access_token, "/api/v1/crm/contacts", newContact)).status).toBe(403);
    expect((await as(tokens.access_token, "/api/v1/iam/members")).status).toBe(403);
    expect((await as(tokens.access_token, "/api/v1/iam/roles")).status).toBe(403);

    await iam(`/roles/${role.id}`, {
      method: "PATCH",
      json: { permissions: ["crm.contacts.read", "crm.contacts.write"] },
    });
    // The access token in hand keeps what it was issued with until it is refreshed.
    expect((await as(tokens.access_token, "/api/v1/crm/contacts", newContact)).status).toBe(403);
    const refreshed = (await (await refresh(tokens.refresh_token ?? "")).json()) as { access_token: string };
    expect(jwtPayload(refreshed.access_token)).toMatchObject({
      role: name,
      perms: "crm.contacts.read crm.contacts.write",
    });
    expect((await as(refreshed.access_token, "/api/v1/crm/contacts", newContact)).status).toBe(201);
    expect((await as(refreshed.access_token, "/api/v1/iam/audit")).status).toBe(403);
  });

  it("system-role tokens carry no perms claim", async () => {
    const tokens = await tokensFor({ email: "viewer@tenant-a.example" });
    const payload = jwtPayload(tokens.access_token);
    expect(payload.role).toBe("Viewer");
    expect(payload).not.toHaveProperty("perms");
  });
});
