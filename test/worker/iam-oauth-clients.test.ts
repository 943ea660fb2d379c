import { describe, expect, it } from "vitest";
import { call, tokenFor } from "./helpers";
import { fieldsOf, iam, unique } from "./iam-helpers";
import { authorizeQuery, fetchWorker, pkcePair, tokenRequest } from "./oauth-helpers";

type Client = { id: string; client_id: string; client_secret: string | null; redirect_uris: string[] };

const machine = (overrides: Record<string, unknown> = {}) => ({
  name: unique("Machine"),
  type: "confidential",
  grant_types: ["client_credentials"],
  scopes: ["crm:read", "crm:write"],
  role: "Member",
  ...overrides,
});

async function register(json: unknown, token?: string) {
  const res = await iam("/oauth-clients", { method: "POST", json, ...(token ? { token } : {}) });
  return { ...res, client: res.body.data as Client };
}

const basic = (id: string, secret: string) =>
  `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

describe("iam oauth clients", () => {
  it("a confidential client gets a client_credentials token and acts with its role", async () => {
    const { res, client } = await register(machine());
    expect(res.status).toBe(201);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(client.client_id).toMatch(/^nxc_eu_[A-Za-z0-9_-]+$/);
    expect(client.client_secret).toMatch(/^nxcs_/);
    const tokenRes = await tokenRequest(
      { grant_type: "client_credentials" },
      { Authorization: basic(client.client_id, client.client_secret ?? "") },
    );
    expect(tokenRes.status).toBe(200);
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    expect((await call("/api/v1/crm/contacts", { token: access_token })).status).toBe(200);
    expect((await call("/api/v1/iam/members", { token: access_token })).status).toBe(403);
    // The secret is shown once: reads never carry it.
    const read = await iam(`/oauth-clients/${client.id}`);
    expect(read.body.data).not.toHaveProperty("client_secret");
    expect(JSON.stringify(read.body)).not.toContain(client.client_secret ?? "-");
  });

  it("what a client does with client_credentials is audited as the client, not as a user", async () => {
    const { client } = await register(machine({ role: "Admin", scopes: ["iam:read", "iam:write"] }));
    const tokenRes = await tokenRequest(
      { grant_type: "client_credentials" },
      { Authorization: basic(client.client_id, client.client_secret ?? "") },
    );
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const created = await call("/api/v1/iam/roles", {
      method: "POST",
      token: access_token,
      json: { name: unique("Bot role"), permissions: ["crm.contacts.read"] },
    });
    expect(created.status).toBe(201);
    // The client belongs to the tenant iam() acts for (tenant C).
    const audit = (await iam("/audit?action=iam.role_created&limit=200")).body as {
      data: { actor_type: string; actor_id: string }[];
    };
    expect(audit.data.find((e) => e.actor_id === client.id)?.actor_type).toBe("client");
  });

  it("registers a public native client whose loopback redirect works on any port", async () => {
    const { res, client } = await register({
      name: unique("Native"),
      type: "public",
      redirect_uris: ["http://127.0.0.1/cb"],
      grant_types: ["authorization_code", "refresh_token"],
      scopes: ["openid", "crm:read"],
    });
    expect(res.status).toBe(201);
    expect(client.client_secret).toBeNull();
    const { challenge } = await pkcePair();
    const q = authorizeQuery({
      challenge,
      clientId: client.client_id,
      redirectUri: "http://127.0.0.1:49200/cb",
    });
    expect((await fetchWorker(`/oauth/authorize?${q}`)).status).toBe(200);
  });

  it.each([
    ["http on a public host", { redirect_uris: ["http://app.example/cb"] }, "redirect_uris.0"],
    ["a fragment", { redirect_uris: ["https://app.example/cb#x"] }, "redirect_uris.0"],
    ["a non-normalised URI", { redirect_uris: ["HTTPS://app.example/cb"] }, "redirect_uris.0"],
    ["a loopback redirect on port 0", { redirect_uris: ["http://127.0.0.1:0/cb"] }, "redirect_uris.0"],
    ["an https redirect on port 0", { redirect_uris: ["https://app.example:0/cb"] }, "redirect_uris.0"],
    ["no redirect URI", { redirect_uris: [] }, "redirect_uris"],
    [
      "client_credentials on a public client",
      { grant_types: ["authorization_code", "client_credentials"] },
      "grant_types",
    ],
    ["an unknown scope", { scopes: ["admin:all"] }, "scopes.0"],
    ["a too short access token", { access_token_ttl_seconds: 30 }, "access_token_ttl_seconds"],
    ["a too long refresh token", { refresh_token_ttl_seconds: 31 * 86400 }, "refresh_token_ttl_seconds"],
  ])("rejects %s", async (_, overrides, field) => {
    const { res, body } = await register({
      name: "Web",
      type: "public",
      redirect_uris: ["https://app.example/cb"],
      grant_types: ["authorization_code"],
      scopes: ["openid"],
      ...overrides,
    });
    expect(res.status).toBe(400);
    expect(fieldsOf(body)).toContain(field);
  });

  it("rejects loopback http for confidential clients, a missing role, and a role above the creator's", async () => {
    const web = machine({
      grant_types: ["authorization_code"],
      redirect_uris: ["http://127.0.0.1/cb"],
      role: undefined,
    });
    expect(fieldsOf((await register(web)).body)).toEqual(["redirect_uris.0"]);
    expect(fieldsOf((await register(machine({ role: undefined }))).body)).toEqual(["role"]);
    const admin = await tokenFor({ tenant: "c", role: "Admin", userId: crypto.randomUUID() });
    expect((await register(machine({ role: "Owner" }), admin)).res.status).toBe(403);
    expect((await register(machine({ role: "Admin" }), admin)).res.status).toBe(201);
  });

  it("lists only the tenant's clients; another tenant's id is 404; delete ends the client and is audited", async () => {
    const { client } = await register(machine());
    const list = await iam("/oauth-clients?limit=200");
    const ids = (list.body.data as Client[]).map((c) => c.client_id);
    expect(ids).toContain(client.client_id);
    expect(ids).not.toContain("nexus-cli");
    expect((await iam(`/oauth-clients/${client.id}`, { tenant: "a" })).res.status).toBe(404);
    expect((await iam(`/oauth-clients/${client.id}`, { method: "DELETE", tenant: "a" })).res.status).toBe(
      404,
    );
    expect((await iam(`/oauth-clients/${client.id}`, { method: "DELETE" })).res.status).toBe(204);
    expect((await iam(`/oauth-clients/${client.id}`)).res.status).toBe(404);
    const tokenRes = await tokenRequest(
      { grant_type: "client_credentials" },
      { Authorization: basic(client.client_id, client.client_secret ?? "") },
    );
    expect(tokenRes.status).toBe(401);
    for (const action of ["oauth.client_created", "oauth.client_deleted"]) {
      const audit = await iam(`/audit?action=${action}&limit=200`);
      expect((audit.body.data as { target_id: string }[]).some((e) => e.target_id === client.client_id)).toBe(
        true,
      );
    }
  });
});
