import { describe, expect, it } from "vitest";
import { NexusApiError, NexusNetworkError } from "../../../packages/client/src/errors";
import { createNexusClient } from "../../../packages/client/src/index";
import { idempotencyModeOf, retryDelayMs } from "../../../packages/client/src/retry";

/** A fetch that answers from a script and records every request it was sent. */
function scriptedFetch(answers: Array<Response | Error>) {
  const seen: Request[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    seen.push(request);
    const next = answers.shift();
    if (!next) throw new Error("no more answers");
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch: fetch as typeof globalThis.fetch, seen };
}

const envelope = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
const errorBody = (code: string, message: string, field?: string) => ({
  status: "error",
  errors: [{ code, message, ...(field ? { field } : {}) }],
  request_id: "req-1",
});
const contact = { id: "c1", first_name: "Ada" };
const sleeps: number[] = [];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};

const client = (fetch: typeof globalThis.fetch) =>
  createNexusClient({
    baseUrl: "http://api.test",
    auth: "nxk_eu_secret",
    fetch,
    retry: { maxRetries: 3 },
    sleep,
  });

describe("the client's transport", () => {
  it("gives every POST that accepts one an Idempotency-Key, the same on each retry, and honours Retry-After", async () => {
    sleeps.length = 0;
    const { fetch, seen } = scriptedFetch([
      envelope(503, errorBody("SERVICE_UNAVAILABLE", "down"), { "Retry-After": "2" }),
      new TypeError("fetch failed", { cause: { code: "ECONNRESET" } }),
      envelope(201, { status: "success", data: contact, request_id: "r" }),
    ]);
    const nexus = createNexusClient({
      baseUrl: "http://api.test",
      auth: "nxk_eu_secret",
      fetch,
      retry: { maxRetries: 3 },
      sleep,
    });
    const transport = nexus.api;
    const created = await nexus.data(transport.POST("/api/v1/crm/contacts", { body: { first_name: "Ada" } }));
    expect(created).toEqual(contact);
    expect(seen).toHaveLength(3);
    const keys = seen.map((r) => r.headers.get("Idempotency-Key"));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(seen.every((r) => r.headers.get("Authorization") === "Bearer nxk_eu_secret")).toBe(true);
    // The body is sent again on every attempt.
    expect(await Promise.all(seen.map((r) => r.text()))).toEqual(Array(3).fill('{"first_name":"Ada"}'));
    expect(sleeps[0]).toBe(2000);
  });

  it("keeps a key the caller chose", async () => {
    const { fetch, seen } = scriptedFetch([
      envelope(201, { status: "success", data: contact, request_id: "r" }),
    ]);
    await client(fetch).api.POST("/api/v1/crm/contacts", {
      body: { first_name: "Ada" },
      params: { header: { "Idempotency-Key": "mine-1" } },
    });
    expect(seen[0]?.headers.get("Idempotency-Key")).toBe("mine-1");
  });

  it("sends no key to a POST that refuses one, and never resends it after it may have arrived", async () => {
    const { fetch, seen } = scriptedFetch([
      envelope(503, errorBody("SERVICE_UNAVAILABLE", "down"), { "Retry-After": "1" }),
    ]);
    const call = client(fetch).api.POST("/api/v1/iam/api-keys", {
      body: { name: "ci", role: "Member", scopes: ["crm:read"] },
    });
    await expect(call).rejects.toMatchObject({ status: 503, code: "SERVICE_UNAVAILABLE", retryAfter: 1 });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.has("Idempotency-Key")).toBe(false);

    const reset = scriptedFetch([new TypeError("fetch failed", { cause: { code: "ECONNRESET" } })]);
    await expect(
      client(reset.fetch).api.POST("/api/v1/iam/api-keys", {
        body: { name: "ci", role: "Member", scopes: ["crm:read"] },
      }),
    ).rejects.toBeInstanceOf(NexusNetworkError);
    expect(reset.seen).toHaveLength(1);
  });

  it("resends a non-idempotent call when the connection was refused (nothing was sent)", async () => {
    const { fetch, seen } = scriptedFetch([
      new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }),
      envelope(200, { status: "success", data: { id: "k" }, request_id: "r" }),
    ]);
    await client(fetch).api.PATCH("/api/v1/crm/leads/{id}", {
      params: { path: { id: "l1" } },
      body: { status: "qualified" },
    });
    expect(seen).toHaveLength(2);
  });

  it("does not retry a PATCH answered 503", async () => {
    const { fetch, seen } = scriptedFetch([envelope(503, errorBody("SERVICE_UNAVAILABLE", "down"))]);
    await expect(
      client(fetch).api.PATCH("/api/v1/crm/leads/{id}", {
        params: { path: { id: "l1" } },
        body: { status: "qualified" },
      }),
    ).rejects.toBeInstanceOf(NexusApiError);
    expect(seen).toHaveLength(1);
  });

  it("retries a GET on 429 up to maxRetries, then throws the typed error", async () => {
    sleeps.length = 0;
    const limited = () => envelope(429, errorBody("RATE_LIMITED", "slow down"), { "Retry-After": "0" });
    const { fetch, seen } = scriptedFetch([limited(), limited(), limited(), limited()]);
    const error = await client(fetch)
      .api.GET("/api/v1/crm/contacts", {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NexusApiError);
    expect(error).toMatchObject({ status: 429, code: "RATE_LIMITED", requestId: "req-1" });
    expect(seen).toHaveLength(4);
  });

  it("gives up at once when Retry-After is beyond the longest wait", async () => {
    const { fetch, seen } = scriptedFetch([
      envelope(503, errorBody("SERVICE_UNAVAILABLE", "x"), { "Retry-After": "3600" }),
    ]);
    await expect(client(fetch).api.GET("/api/v1/crm/contacts", {})).rejects.toMatchObject({
      retryAfter: 3600,
    });
    expect(seen).toHaveLength(1);
  });

  it("retries a keyed POST answered 409 IDEMPOTENCY_KEY_IN_USE, not one answered 409 CONFLICT", async () => {
    const inUse = scriptedFetch([
      envelope(409, errorBody("IDEMPOTENCY_KEY_IN_USE", "running")),
      envelope(201, { status: "success", data: contact, request_id: "r" }),
    ]);
    await client(inUse.fetch).api.POST("/api/v1/crm/contacts", { body: { first_name: "Ada" } });
    expect(inUse.seen).toHaveLength(2);
    const conflict = scriptedFetch([envelope(409, errorBody("CONFLICT", "taken", "email"))]);
    const error = (await client(conflict.fetch)
      .api.POST("/api/v1/crm/contacts", { body: { first_name: "Ada" } })
      .catch((e: unknown) => e)) as NexusApiError;
    expect(error.fieldError("email")).toBe("taken");
    expect(error.message).toBe("email: taken");
    expect(conflict.seen).toHaveLength(1);
  });

  it("refreshes the credential once after a 401 and sends the request again", async () => {
    let token = "old";
    const auth = {
      authorization: async () => `Bearer ${token}`,
      refresh: async () => {
        token = "new";
        return true;
      },
    };
    const { fetch, seen } = scriptedFetch([
      envelope(401, errorBody("UNAUTHENTICATED", "expired")),
      envelope(200, {
        status: "success",
        data: [],
        meta: { has_more: false, cursor: null, limit: 50 },
        request_id: "r",
      }),
    ]);
    await createNexusClient({ baseUrl: "http://api.test", auth, fetch }).api.GET("/api/v1/crm/contacts", {});
    expect(seen.map((r) => r.headers.get("Authorization"))).toEqual(["Bearer old", "Bearer new"]);
  });
});

describe("auto-pagination", () => {
  it("follows meta.cursor while has_more, lazily", async () => {
    const page = (ids: string[], cursor: string | null) =>
      envelope(200, {
        status: "success",
        data: ids.map((id) => ({ ...contact, id })),
        meta: { limit: 2, cursor, has_more: cursor !== null },
        request_id: "r",
      });
    const { fetch, seen } = scriptedFetch([page(["a", "b"], "cur-1"), page(["c"], null)]);
    const ids: string[] = [];
    for await (const c of client(fetch).list("/api/v1/crm/contacts", { limit: 2, tag: "vip" }))
      ids.push(c.id);
    expect(ids).toEqual(["a", "b", "c"]);
    expect(seen.map((r) => new URL(r.url).search)).toEqual([
      "?limit=2&tag=vip",
      "?limit=2&tag=vip&cursor=cur-1",
    ]);

    const lazy = scriptedFetch([page(["a", "b"], "cur-1"), page(["c"], null)]);
    for await (const _ of client(lazy.fetch).list("/api/v1/crm/contacts")) break;
    expect(lazy.seen).toHaveLength(1);
  });
});

describe("retry policy", () => {
  it("knows each POST's idempotency mode from the document, path parameters included", () => {
    expect(idempotencyModeOf("/api/v1/crm/contacts")).toBe("optional");
    expect(idempotencyModeOf("/api/v1/finance/invoices/9b2c/finalize")).toBe("optional");
    expect(idempotencyModeOf("/api/v1/finance/payments/initiate")).toBe("required");
    expect(idempotencyModeOf("/api/v1/iam/api-keys/abc/rotate")).toBe("refused");
    expect(idempotencyModeOf("/api/v1/nope")).toBeUndefined();
  });

  it("backs off exponentially with jitter, capped", () => {
    const options = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelayMs(1, undefined, options, () => 1)).toBe(100);
    expect(retryDelayMs(3, undefined, options, () => 0)).toBe(200);
    expect(retryDelayMs(10, undefined, options, () => 1)).toBe(1000);
    expect(retryDelayMs(1, 2, options)).toBeUndefined();
  });
});
