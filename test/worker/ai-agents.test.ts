import { describe, expect, it } from "vitest";
import { aiTenant } from "./ai-helpers";
import { call, envelope, tokenFor } from "./helpers";

interface AgentView {
  id: string;
  version: number;
  source: string;
  name: string;
  description: string;
  model: { alias: string; temperature: number; max_output_tokens: number };
  tools: { name: string; permission: string; requires_approval: boolean; input_schema: unknown }[];
  max_steps: number;
}

const custom = {
  name: "Overdue follow-up",
  instructions: "List open invoices and say who owes what.",
  model: { alias: "fast" },
  tools: [{ name: "list_invoices" }, { name: "create_contact", requires_approval: true }],
  max_steps: 4,
};

describe("agents: definitions", () => {
  it("GET /api/v1/agents lists the preset's system agents with ids, tools and their approval rule", async () => {
    const { token } = await aiTenant({ industry: "restaurant" });
    const res = await call("/api/v1/agents", { token });
    expect(res.status).toBe(200);
    const agents = (await envelope<AgentView[]>(res)).data;
    expect(agents.map((a) => a.id)).toEqual([
      "sys_sales_assistant",
      "sys_invoice_chaser",
      "sys_support_triager",
    ]);
    expect(agents.every((a) => a.source === "system" && a.version === 1)).toBe(true);
    // The preset's words: a restaurant's customers are guests.
    expect(agents[0]?.description).toContain("guests");
    const chaser = agents.find((a) => a.id === "sys_invoice_chaser");
    expect(chaser?.tools.find((t) => t.name === "draft_invoice")).toMatchObject({
      permission: "finance.invoices.write",
      requires_approval: true,
    });
    expect(chaser?.tools.find((t) => t.name === "list_invoices")?.input_schema).toMatchObject({
      type: "object",
    });
  });

  it("a custom agent is created, changed (a new version, the old one kept) and deleted; system agents are read-only", async () => {
    const { token } = await aiTenant();
    const created = await call("/api/v1/ai/agents", { method: "POST", token, json: custom });
    expect(created.status).toBe(201);
    const agent = (await envelope<AgentView>(created)).data;
    expect(created.headers.get("location")).toBe(`/api/v1/ai/agents/${agent.id}`);
    expect(agent).toMatchObject({
      version: 1,
      source: "custom",
      max_steps: 4,
      model: { alias: "fast", temperature: 0.2 },
    });
    expect(agent.tools.find((t) => t.name === "create_contact")?.requires_approval).toBe(true);

    const patched = await call(`/api/v1/ai/agents/${agent.id}`, {
      method: "PATCH",
      token,
      json: { instructions: "Be brief.", model: { temperature: 0 } },
    });
    expect(patched.status).toBe(200);
    expect((await envelope<AgentView>(patched)).data).toMatchObject({
      version: 2,
      model: { alias: "fast", temperature: 0 },
    });

    const listed = (await envelope<AgentView[]>(await call("/api/v1/ai/agents", { token }))).data;
    expect(listed.map((a) => a.id)).toContain(agent.id);

    expect(
      (await call("/api/v1/ai/agents/sys_sales_assistant", { method: "PATCH", token, json: { name: "x" } }))
        .status,
    ).toBe(409);
    expect((await call("/api/v1/ai/agents/sys_sales_assistant", { method: "DELETE", token })).status).toBe(
      409,
    );
    expect((await call(`/api/v1/ai/agents/${agent.id}`, { method: "DELETE", token })).status).toBe(204);
    expect((await call(`/api/v1/ai/agents/${agent.id}`, { token })).status).toBe(404);
  });

  it("refuses an alias no allowed deployment serves, an unknown tool and unknown fields, naming the field", async () => {
    const { token } = await aiTenant();
    const post = (json: unknown) => call("/api/v1/ai/agents", { method: "POST", token, json });
    const alias = await post({ ...custom, model: { alias: "imaginary" } });
    expect(alias.status).toBe(400);
    expect((await envelope(alias)).errors?.[0]?.field).toBe("model.alias");
    const tool = await post({ ...custom, tools: [{ name: "send_money" }] });
    expect(tool.status).toBe(400);
    expect((await envelope(tool)).errors?.[0]?.field).toBe("tools.0.name");
    expect((await post({ ...custom, tenant_id: "x" })).status).toBe(400);
    expect((await post({ ...custom, max_steps: 21 })).status).toBe(400);
  });

  it("another tenant's agent is 404; a Viewer lists agents but cannot define them", async () => {
    const a = await aiTenant();
    const b = await aiTenant();
    const created = (
      await envelope<AgentView>(
        await call("/api/v1/ai/agents", { method: "POST", token: a.token, json: custom }),
      )
    ).data;
    expect((await call(`/api/v1/ai/agents/${created.id}`, { token: b.token })).status).toBe(404);
    expect(
      (
        await call(`/api/v1/ai/agents/${created.id}`, {
          method: "PATCH",
          token: b.token,
          json: { name: "x" },
        })
      ).status,
    ).toBe(404);
    const viewer = await tokenFor({ tenantId: a.tenantId, userId: crypto.randomUUID(), role: "Viewer" });
    expect((await call("/api/v1/agents", { token: viewer })).status).toBe(200);
    expect((await call("/api/v1/ai/agents", { method: "POST", token: viewer, json: custom })).status).toBe(
      403,
    );
    const guest = await tokenFor({ tenantId: a.tenantId, userId: crypto.randomUUID(), role: "Guest" });
    expect((await call("/api/v1/agents", { token: guest })).status).toBe(403);
  });

  it("GET /api/v1/ai/models lists only the aliases this region may use", async () => {
    const { token } = await aiTenant();
    const models = (
      await envelope<{ alias: string; inference_region: string }[]>(
        await call("/api/v1/ai/models", { token }),
      )
    ).data;
    expect(models).toEqual([
      { alias: "fast", inference_region: "eu" },
      { alias: "standard", inference_region: "eu" },
    ]);
  });
});
