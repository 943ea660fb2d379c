import { describe, expect, inject, it } from "vitest";
import { DEMO_PASSWORD, DEMO_TENANTS } from "../../db/seed/demo";
import {
  AuthorizationServer,
  ClientCredentialsAuth,
  createNexusClient,
  NexusApiError,
  NexusOAuthError,
  OAuthSession,
  type PlatformEvent,
  type TokenSet,
} from "../../packages/client/src/index";
import { cliSignIn } from "../../scripts/lib/cli-sign-in";

const stack = inject("e2e");
const regionUrls = () => ({ eu: stack.eu, lagos: stack.lagos });

/** The demo Owner's tokens (nexus-cli, code + PKCE, headless), with when they expire. */
async function ownerTokens(region: "eu" | "lagos" = "eu"): Promise<TokenSet> {
  const tokens = await cliSignIn({
    issuer: regionUrls()[region],
    email: DEMO_TENANTS[region].ownerEmail,
    password: DEMO_PASSWORD,
  });
  return { ...tokens, expires_at: Date.now() + tokens.expires_in * 1000 };
}

async function ownerClient(options: { fetch?: typeof fetch } = {}) {
  const tokens = await ownerTokens();
  const server = await AuthorizationServer.discover({ issuer: stack.eu, clientId: "nexus-cli" });
  return createNexusClient({
    region: "eu",
    regionUrls: regionUrls(),
    auth: new OAuthSession({ server, tokens }),
    ...options,
  });
}

/** A fetch that remembers what it sent (headers and URL), for checking what the client did. */
function recordingFetch() {
  const sent: Request[] = [];
  const f = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    sent.push(request.clone());
    return fetch(request);
  };
  return { fetch: f as typeof fetch, sent };
}

const prospect = (email: string) => ({
  first_name: "Client",
  email,
  custom_fields: { client_status: "prospect" },
});

describe("@nexus-edge/client against npm run dev", () => {
  it("follows cursor pages, picks the region's URL, and unwraps the envelope", async () => {
    const { fetch, sent } = recordingFetch();
    const nexus = await ownerClient({ fetch });
    expect(nexus.baseUrl).toBe(stack.eu);
    const emails: string[] = [];
    for await (const contact of nexus.list("/api/v1/crm/contacts", { limit: 1, tag: "demo" })) {
      emails.push(contact.email ?? "");
    }
    expect(emails.sort()).toEqual(["amara@example.com", "chiamaka@example.com", "lukas@example.com"]);
    expect(sent.filter((r) => r.url.includes("/crm/contacts"))).toHaveLength(3);
    const tenant = await nexus.data(nexus.api.GET("/api/v1/nexus/tenant", {}));
    expect(tenant).toMatchObject({ id: DEMO_TENANTS.eu.tenantId, region: "eu" });
  });

  it("sends an Idempotency-Key with a create, which replays the same contact when sent again", async () => {
    const { fetch, sent } = recordingFetch();
    const nexus = await ownerClient({ fetch });
    const body = prospect(`idem-${Date.now()}@example.com`);
    const created = await nexus.data(nexus.api.POST("/api/v1/crm/contacts", { body }));
    const request = sent.find((r) => r.method === "POST" && r.url.endsWith("/api/v1/crm/contacts"));
    const key = request?.headers.get("Idempotency-Key");
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    // What a retry of the same call sends: the same key and body → the stored response.
    const again = await globalThis.fetch(`${stack.eu}/api/v1/crm/contacts`, {
      method: "POST",
      headers: {
        Authorization: request?.headers.get("Authorization") ?? "",
        "Content-Type": "application/json",
        "Idempotency-Key": key ?? "",
      },
      body: JSON.stringify(body),
    });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(((await again.json()) as { data: { id: string } }).data.id).toBe(created.id);
  });

  it("throws the envelope's error, typed, with field and request id", async () => {
    const nexus = await ownerClient();
    const error = await nexus.api
      .POST("/api/v1/crm/contacts", { body: { first_name: "X", email: "not-an-email" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NexusApiError);
    expect(error).toMatchObject({ status: 400, code: "VALIDATION_ERROR" });
    expect((error as NexusApiError).fieldError("email")).toBeTruthy();
    expect((error as NexusApiError).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refreshes an expired access token, rotating the refresh token (the old one is then refused)", async () => {
    const tokens = { ...(await ownerTokens()), expires_at: Date.now() - 1000 };
    const server = await AuthorizationServer.discover({ issuer: stack.eu, clientId: "nexus-cli" });
    const stored: TokenSet[] = [];
    const session = new OAuthSession({ server, tokens, onTokens: (t) => void stored.push(t) });
    const nexus = createNexusClient({ baseUrl: stack.eu, auth: session });
    await nexus.data(nexus.api.GET("/api/v1/crm/contacts", { params: { query: { limit: 1 } } }));
    expect(stored).toHaveLength(1);
    expect(stored[0]?.refresh_token).not.toBe(tokens.refresh_token);
    await expect(server.refresh(tokens.refresh_token ?? "")).rejects.toMatchObject({
      error: "invalid_grant",
    });
    await expect(server.refresh(tokens.refresh_token ?? "")).rejects.toBeInstanceOf(NexusOAuthError);
  });

  it("client credentials: a confidential client's own token calls the API", async () => {
    const owner = await ownerClient();
    const registered = (await owner.data(
      owner.api.POST("/api/v1/iam/oauth-clients", {
        body: {
          name: `client-e2e-${Date.now()}`,
          type: "confidential",
          grant_types: ["client_credentials"],
          scopes: ["crm:read"],
          role: "Viewer",
        },
      }),
    )) as { client_id: string; client_secret: string };
    const service = createNexusClient({
      baseUrl: stack.eu,
      auth: new ClientCredentialsAuth({
        issuer: stack.eu,
        clientId: registered.client_id,
        clientSecret: registered.client_secret,
        scope: "crm:read",
      }),
    });
    const page = await service.data(
      service.api.GET("/api/v1/crm/contacts", { params: { query: { limit: 1 } } }),
    );
    expect(page).toHaveLength(1);
  });

  it("realtime: live events, and after a dropped socket it reconnects and fills the gap once", async () => {
    const nexus = await ownerClient();
    const sockets: WebSocket[] = [];
    const Recording = class extends WebSocket {
      constructor(url: string | URL) {
        super(url);
        sockets.push(this);
      }
    };
    // A long first reconnect wait, so the second contact is created while no socket is open.
    const realtime = nexus.realtime({ WebSocket: Recording, reconnectDelayMs: { initial: 2000, max: 2000 } });
    const events: PlatformEvent[] = [];
    const states: string[] = [];
    realtime.on("event", (e) => void events.push(e));
    realtime.on("state", (s) => void states.push(s));
    const subscribed = new Promise<void>((resolve) =>
      realtime.on("frame", (f) => {
        if (f.type === "subscribed") resolve();
      }),
    );
    await realtime.connect();
    realtime.subscribe(["contact.created"]);
    await subscribed;
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(check()).toBe(true);
    };
    try {
      const live = `live-${Date.now()}@example.com`;
      await nexus.api.POST("/api/v1/crm/contacts", { body: prospect(live) });
      await until(() => events.some((e) => (e.data as { email?: string }).email === live));

      sockets[0]?.close(4000, "dropped by the test");
      await until(() => states.includes("reconnecting"));
      const missed = `missed-${Date.now()}@example.com`;
      await nexus.api.POST("/api/v1/crm/contacts", { body: prospect(missed) });
      await until(() => events.some((e) => (e.data as { email?: string }).email === missed));
      expect(sockets).toHaveLength(2);
      // The live one is not delivered twice by the backfill, nor the missed one by both paths.
      await new Promise((r) => setTimeout(r, 500));
      expect(events.filter((e) => (e.data as { email?: string }).email === live)).toHaveLength(1);
      expect(events.filter((e) => (e.data as { email?: string }).email === missed)).toHaveLength(1);
    } finally {
      realtime.close();
    }
  });
});
