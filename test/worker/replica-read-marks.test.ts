import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { buildApp } from "../../workers/api/app";
import { BASE, tokenFor } from "./helpers";

/**
 * Which of the Worker's SQL-over-HTTP calls carry `Nexus-Read-Replica: allowed`: the compiled
 * reads of a GET (lists, one record), and nothing a write runs, its reads included (a write's
 * checks must see the primary, and the gateway would run a marked batch read-only). The Worker's
 * database endpoint is pointed at the webhook receiver, which records each call's headers; its
 * "ok" is no SQL answer, so the requests themselves fail, which is not what is checked here. The
 * tenant's directory entry is warmed first through the real database (the isolate keeps it 30 s),
 * so the middleware's lookup does not end each request before its route runs.
 * What the gateway does with the mark: test/gateway/replica-reads.test.ts.
 */

interface Recorded {
  headers: Record<string, string>;
  body: string;
}

async function call(path: string, init: RequestInit, bindings: Env): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${await tokenFor()}`);
  const ctx = createExecutionContext();
  const response = await buildApp().fetch(new Request(`${BASE}${path}`, { ...init, headers }), bindings, ctx);
  await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return response;
}

async function sqlCallsOf(path: string, init: RequestInit = {}): Promise<Recorded[]> {
  const receiver = inject("webhookReceiverUrl");
  const name = `replica-marks-${crypto.randomUUID()}`;
  await call(path, init, { ...env, DATABASE_HTTP_URL: `${receiver}/hooks/${name}` });
  return (await (await fetch(`${receiver}/control/${name}`)).json()) as Recorded[];
}

beforeAll(async () => {
  expect((await call("/api/v1/crm/contacts?limit=1", {}, env)).status).toBe(200);
});

const marked = (calls: Recorded[]) => calls.filter((c) => c.headers["nexus-read-replica"] === "allowed");

describe("replica-safe reads, as the Worker marks them", () => {
  it("marks a GET list's and a GET record's reads", async () => {
    for (const path of [
      "/api/v1/crm/contacts?limit=5",
      "/api/v1/crm/leads",
      `/api/v1/crm/contacts/${crypto.randomUUID()}`,
    ]) {
      const all = await sqlCallsOf(path);
      // After the response, the usage meter adds the request to the tenant's hourly counters:
      // a write, so unmarked like any other.
      const usage = all.filter((c) => c.body.includes("usage_counters"));
      const calls = all.filter((c) => !usage.includes(c));
      expect(calls.length, path).toBeGreaterThan(0);
      expect(marked(calls), path).toHaveLength(calls.length);
      expect(marked(usage), path).toEqual([]);
    }
  });

  it("marks nothing a write sends, its own reads included", async () => {
    const calls = await sqlCallsOf("/api/v1/crm/leads", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      // Its first call is a read (the tenant's CRM settings, for custom fields): unmarked too.
      body: JSON.stringify({ first_name: "Replica" }),
    });
    expect(calls.length).toBeGreaterThan(0);
    expect(marked(calls)).toEqual([]);
  });
});
