import { describe, expect, inject, it } from "vitest";
import { standInDeployments } from "../../regions/model-standin/deployments";
import { aiTenant, chat, readEvents, standIn } from "./ai-helpers";
import { call, callWith, envelope, signingKeys, tokenFor } from "./helpers";

interface RunView {
  id: string;
  status: string;
  agent_version: number;
  result: { text: string } | null;
  pending_tool_calls: { id: string; name: string; input: unknown }[] | null;
  steps: {
    type: string;
    tool?: string;
    output?: unknown;
    error?: { code: string };
    usage?: unknown;
    inference_region?: string;
  }[];
  usage: { input_tokens: number; output_tokens: number };
  inference_region: string;
}

const execute = (token: string, agentId: string, task: string) =>
  call("/api/v1/agents/execute", { method: "POST", token, json: { agent_id: agentId, task } });

const runOf = async (res: Response) => (await envelope<RunView>(res)).data;

async function contactIn(token: string, email: string): Promise<string> {
  const res = await call("/api/v1/crm/contacts", {
    method: "POST",
    token,
    json: { first_name: "Ada", email },
  });
  expect(res.status).toBe(201);
  return (await envelope<{ id: string }>(res)).data.id;
}

describe("execute: tools as the caller", () => {
  it("runs the tool loop to a result, with model and tool steps recorded", async () => {
    const { token } = await aiTenant();
    const email = `ada-${crypto.randomUUID()}@example.com`;
    await contactIn(token, email);
    const res = await execute(
      token,
      "sys_sales_assistant",
      `Find her [[tool list_contacts {"email":"${email}"}]]`,
    );
    expect(res.status).toBe(200);
    const run = await runOf(res);
    expect(run.status).toBe("succeeded");
    expect(run.agent_version).toBe(1);
    expect(run.inference_region).toBe("eu");
    expect(run.steps.map((s) => s.type)).toEqual(["model", "tool", "model"]);
    expect(JSON.stringify(run.steps[1]?.output)).toContain(email);
    expect(run.result?.text).toContain(email);
    expect(run.usage.input_tokens).toBeGreaterThan(0);
    const again = await call(`/api/v1/ai/runs/${run.id}`, { token });
    expect((await runOf(again)).status).toBe("succeeded");
  });

  it("a Viewer's agent is refused a write tool and nothing is written", async () => {
    const { tenantId, token } = await aiTenant();
    const viewer = await tokenFor({ tenantId, userId: crypto.randomUUID(), role: "Viewer" });
    const email = `viewer-${crypto.randomUUID()}@example.com`;
    const events = await readEvents(
      await chat(viewer, {
        agent_id: "sys_sales_assistant",
        message: `[[tool create_contact {"first_name":"Eve","email":"${email}"}]]`,
      }),
    );
    const result = events.find((e) => e.event === "tool-result");
    expect(result?.data.name).toBe("create_contact");
    expect(result?.data.error).toMatchObject({ code: "FORBIDDEN" });
    const list = await call(`/api/v1/crm/contacts?email=${encodeURIComponent(email)}`, { token });
    expect((await envelope<unknown[]>(list)).data).toEqual([]);
  });

  it("a tool never sees another tenant's rows: its id is not found, its list is empty", async () => {
    const a = await aiTenant();
    const b = await aiTenant();
    const email = `other-${crypto.randomUUID()}@example.com`;
    const theirs = await contactIn(b.token, email);
    const run = await runOf(
      await execute(
        a.token,
        "sys_sales_assistant",
        `[[tool get_contact {"id":"${theirs}"}]] [[tool list_contacts {"email":"${email}"}]]`,
      ),
    );
    const tools = run.steps.filter((s) => s.type === "tool");
    expect(tools[0]?.error?.code).toBe("NOT_FOUND");
    expect(tools[1]?.output).toEqual({ items: [], has_more: false });
    expect(JSON.stringify(tools.map((t) => t.output ?? t.error))).not.toContain(email);
  });

  it("an approval-gated write pauses the run, and resumes on approve", async () => {
    const { token } = await aiTenant();
    const invoice = {
      currency: "EUR",
      due_date: "2026-12-31",
      customer: { name: "Ada", email: "ada@example.com" },
      lines: [{ description: "Audit", quantity: 1, unit_price: "100.00" }],
    };
    const res = await execute(
      token,
      "sys_invoice_chaser",
      `[[tool draft_invoice ${JSON.stringify(invoice)}]]`,
    );
    expect(res.status).toBe(200);
    const paused = await runOf(res);
    expect(paused.status).toBe("requires_approval");
    expect(paused.pending_tool_calls?.[0]).toMatchObject({ name: "draft_invoice", input: invoice });
    // Nothing written while it waits.
    const before = (await envelope<unknown[]>(await call("/api/v1/finance/invoices", { token }))).data;
    expect(before).toEqual([]);

    const approved = await call(`/api/v1/ai/runs/${paused.id}/approve`, {
      method: "POST",
      token,
      json: { approve: true },
    });
    expect(approved.status).toBe(200);
    const done = await runOf(approved);
    expect(done.status).toBe("succeeded");
    const drafted = done.steps.filter((s) => s.type === "tool")[0];
    expect(drafted?.tool).toBe("draft_invoice");
    expect(drafted?.error).toBeUndefined();
    const invoices = (
      await envelope<{ status: string; total: string }[]>(await call("/api/v1/finance/invoices", { token }))
    ).data;
    expect(invoices).toHaveLength(1);
    expect(invoices[0]?.status).toBe("draft");
    // Approving twice is a conflict.
    expect(
      (await call(`/api/v1/ai/runs/${paused.id}/approve`, { method: "POST", token, json: { approve: true } }))
        .status,
    ).toBe(409);
  });

  it("refusing the approval tells the model and writes nothing", async () => {
    const { token } = await aiTenant();
    const invoice = {
      currency: "EUR",
      due_date: "2026-12-31",
      customer: { name: "Bo" },
      lines: [{ description: "X", quantity: 1, unit_price: "1.00" }],
    };
    const paused = await runOf(
      await execute(token, "sys_invoice_chaser", `[[tool draft_invoice ${JSON.stringify(invoice)}]]`),
    );
    const refused = await runOf(
      await call(`/api/v1/ai/runs/${paused.id}/approve`, { method: "POST", token, json: { approve: false } }),
    );
    expect(refused.status).toBe("succeeded");
    expect(refused.steps.find((s) => s.type === "tool")?.error?.code).toBe("FORBIDDEN");
    expect((await envelope<unknown[]>(await call("/api/v1/finance/invoices", { token }))).data).toEqual([]);
  });

  it("another user's run is 404 to a Member, readable by the Owner", async () => {
    const { tenantId, token } = await aiTenant();
    const run = await runOf(await execute(token, "sys_support_triager", "hello"));
    const member = await tokenFor({ tenantId, userId: crypto.randomUUID(), role: "Member" });
    expect((await call(`/api/v1/ai/runs/${run.id}`, { token: member })).status).toBe(404);
  });
});

describe("model routing by residency", () => {
  const lagos = (overrides: Record<string, string> = {}) =>
    ({ REGION: "lagos", JWT_SIGNING_KEY: JSON.stringify(signingKeys().lagos), ...overrides }) as Partial<Env>;

  it("a Lagos tenant's prompt goes only to the Lagos gateway (asserted at the stand-in) and says so", async () => {
    const { token } = await aiTenant({ region: "lagos" });
    const marker = `lagos-marker-${crypto.randomUUID()}`;
    const res = await callWith(lagos(), "/api/v1/agents/chat", {
      method: "POST",
      token,
      json: { agent_id: "sys_sales_assistant", message: marker },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-inference-region")).toBe("lagos");
    const events = await readEvents(res);
    expect(events.at(-1)?.data.status).toBe("completed");
    const seen = (await standIn()).requests.filter((r) => r.prompt.includes(marker));
    expect(seen.map((r) => r.deployment)).toEqual(["lagos-gateway"]);
  });

  it("with no Lagos deployment configured a Lagos tenant's chat is 503, and no prompt leaves", async () => {
    const { token } = await aiTenant({ region: "lagos" });
    const marker = `no-lagos-${crypto.randomUUID()}`;
    const withoutLagos = standInDeployments(inject("modelStandInUrl")).filter(
      (d) => d.name !== "lagos-gateway",
    );
    const res = await callWith(
      lagos({ MODEL_DEPLOYMENTS: JSON.stringify(withoutLagos) }),
      "/api/v1/agents/chat",
      {
        method: "POST",
        token,
        json: { agent_id: "sys_sales_assistant", message: marker },
      },
    );
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect((await envelope(res)).errors?.[0]?.message).toContain("lagos");
    const run = await callWith(
      lagos({ MODEL_DEPLOYMENTS: JSON.stringify(withoutLagos) }),
      "/api/v1/agents/execute",
      {
        method: "POST",
        token,
        json: { agent_id: "sys_sales_assistant", task: marker },
      },
    );
    expect(run.status).toBe(503);
    expect((await standIn()).requests.filter((r) => r.prompt.includes(marker))).toEqual([]);
  });

  it("an EU tenant's prompt goes to the EU data zone, never to the global endpoint listed first", async () => {
    const { token } = await aiTenant();
    const marker = `eu-marker-${crypto.randomUUID()}`;
    await readEvents(await chat(token, { agent_id: "sys_sales_assistant", message: marker }));
    const seen = (await standIn()).requests.filter((r) => r.prompt.includes(marker));
    expect(seen.map((r) => r.deployment)).toEqual(["eu-data-zone"]);
  });
});

describe("budgets and history", () => {
  it("a spent daily budget answers 429 with Retry-After, before any model call", async () => {
    const { token } = await aiTenant({ tier: "starter" });
    const tight = { AI_DAILY_TOKEN_BUDGETS: JSON.stringify({ starter: 5 }) } as Partial<Env>;
    const first = await callWith(tight, "/api/v1/agents/chat", {
      method: "POST",
      token,
      json: { agent_id: "sys_sales_assistant", message: "spend it" },
    });
    expect(first.status).toBe(200);
    await readEvents(first);
    const marker = `over-budget-${crypto.randomUUID()}`;
    const second = await callWith(tight, "/api/v1/agents/chat", {
      method: "POST",
      token,
      json: { agent_id: "sys_sales_assistant", message: marker },
    });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(0);
    const execute429 = await callWith(tight, "/api/v1/agents/execute", {
      method: "POST",
      token,
      json: { agent_id: "sys_sales_assistant", task: marker },
    });
    expect(execute429.status).toBe(429);
    expect((await standIn()).requests.filter((r) => r.prompt.includes(marker))).toEqual([]);
    const usage = await envelope<{ used_tokens: number; budget_tokens: number; remaining_tokens: number }>(
      await callWith(tight, "/api/v1/ai/usage", { token }),
    );
    expect(usage.data.budget_tokens).toBe(5);
    expect(usage.data.used_tokens).toBeGreaterThanOrEqual(5);
    expect(usage.data.remaining_tokens).toBe(0);
  });

  it("history is per user: each sees their own sessions; another user's needs ai.sessions.read_all", async () => {
    const { tenantId, token: owner, userId: ownerId } = await aiTenant();
    const memberId = crypto.randomUUID();
    const member = await tokenFor({ tenantId, userId: memberId, role: "Member" });
    await readEvents(await chat(owner, { agent_id: "sys_sales_assistant", message: "owner's question" }));
    await readEvents(await chat(member, { agent_id: "sys_sales_assistant", message: "member's question" }));
    const historyOf = async (token: string, query = "") => {
      const res = await call(`/api/v1/agents/sys_sales_assistant/history${query}`, { token });
      return {
        status: res.status,
        body: await envelope<{ user_id: string; messages: { content: string }[] }[]>(res),
      };
    };
    const mine = await historyOf(member);
    expect(mine.body.data.map((s) => s.messages[0]?.content)).toEqual(["member's question"]);
    const owners = await historyOf(owner);
    expect(owners.body.data.map((s) => s.messages[0]?.content)).toEqual(["owner's question"]);
    expect((await historyOf(member, `?user_id=${ownerId}`)).status).toBe(403);
    const read = await historyOf(owner, `?user_id=${memberId}`);
    expect(read.body.data.map((s) => s.user_id)).toEqual([memberId]);
  });

  it("history pages with a cursor", async () => {
    const { token } = await aiTenant();
    for (const message of ["one", "two", "three"]) {
      await readEvents(await chat(token, { agent_id: "sys_support_triager", message }));
    }
    const first = await envelope<{ messages: { content: string }[] }[]>(
      await call("/api/v1/agents/sys_support_triager/history?limit=2", { token }),
    );
    expect(first.data.map((s) => s.messages[0]?.content)).toEqual(["three", "two"]);
    expect(first.meta?.has_more).toBe(true);
    const second = await envelope<{ messages: { content: string }[] }[]>(
      await call(`/api/v1/agents/sys_support_triager/history?limit=2&cursor=${first.meta?.cursor}`, {
        token,
      }),
    );
    expect(second.data.map((s) => s.messages[0]?.content)).toEqual(["one"]);
    expect(second.meta?.has_more).toBe(false);
  });
});
