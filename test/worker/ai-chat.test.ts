import { describe, expect, it } from "vitest";
import { aiTenant, chat, readEvents, standIn, textOf, until } from "./ai-helpers";
import { call, envelope, tokenFor } from "./helpers";

const AGENT = "sys_sales_assistant";
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i + 1}`).join(" ");

interface Usage {
  day: string;
  used_tokens: number;
  by_day: { calls: number; estimated_calls: number; input_tokens: number; output_tokens: number }[];
}

describe("chat: streaming and persistence", () => {
  it("streams a turn (start with session_id first, done with usage last, increasing ids) and stores it", async () => {
    const { token } = await aiTenant();
    const res = await chat(token, { agent_id: AGENT, message: "hello there" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.headers.get("x-inference-region")).toBe("eu");
    expect(res.headers.get("x-agent-stream-version")).toBe("1");
    const events = await readEvents(res);
    expect(events[0]?.event).toBe("start");
    const sessionId = events[0]?.data.session_id as string;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[0]?.data.inference_region).toBe("eu");
    const done = events.at(-1);
    expect(done?.event).toBe("done");
    expect(done?.data.status).toBe("completed");
    const usage = done?.data.usage as { input_tokens: number; output_tokens: number };
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBe(3);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(textOf(events)).toBe("Echo: hello there");

    // Everything is stored: a full replay of the session gives the same events.
    const replay = await call(`/api/v1/ai/sessions/${sessionId}/stream`, {
      token,
      headers: { "Last-Event-ID": "0" },
    });
    expect(await readEvents(replay)).toEqual(events);

    const history = await call(`/api/v1/agents/${AGENT}/history`, { token });
    const page =
      await envelope<
        {
          id: string;
          messages: {
            role: string;
            content: string;
            inference_region: string | null;
            agent_version: number | null;
          }[];
        }[]
      >(history);
    expect(page.data).toHaveLength(1);
    expect(page.data[0]?.id).toBe(sessionId);
    expect(page.data[0]?.messages.map((m) => [m.role, m.content])).toEqual([
      ["user", "hello there"],
      ["assistant", "Echo: hello there"],
    ]);
    expect(page.data[0]?.messages[1]?.inference_region).toBe("eu");
    expect(page.data[0]?.messages[1]?.agent_version).toBe(1);
  });

  it("continues a session: the model gets the earlier turns and ids go on from the last one", async () => {
    const { token } = await aiTenant();
    const first = await readEvents(await chat(token, { agent_id: AGENT, message: "first" }));
    const sessionId = first[0]?.data.session_id as string;
    const second = await readEvents(
      await chat(token, { agent_id: AGENT, message: "second", session_id: sessionId }),
    );
    expect(second[0]?.id).toBe((first.at(-1)?.id ?? 0) + 1);
    expect(second[0]?.data.session_id).toBe(sessionId);
    const prompts = (await standIn()).requests.filter((r) => r.prompt.includes("second"));
    expect(prompts.at(-1)?.prompt).toContain("first");
    expect(prompts.at(-1)?.prompt).toContain("Echo: first");
  });

  it("resumes after a dropped connection with Last-Event-ID: no event lost, none repeated", async () => {
    const { token } = await aiTenant();
    const res = await chat(token, { agent_id: AGENT, message: `${"[[words 40]]"} [[slow 15]]` });
    const before = await readEvents(res, 6); // the client drops after six events
    const last = before.at(-1)?.id ?? 0;
    const resumed = await readEvents(
      await call(`/api/v1/ai/sessions/${before[0]?.data.session_id}/stream`, {
        token,
        headers: { "Last-Event-ID": String(last) },
      }),
    );
    const all = [...before, ...resumed];
    expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
    expect(all.at(-1)?.event).toBe("done");
    expect(all.at(-1)?.data.status).toBe("completed");
    expect(textOf(all)).toBe(`${words(40)}`);
  });

  it("cancel stops the upstream call, ends the stream as cancelled and records the partial usage", async () => {
    const { token } = await aiTenant();
    const abortedBefore = (await standIn()).aborted;
    const res = await chat(token, { agent_id: AGENT, message: "[[words 2000]] [[slow 20]]" });
    const reading = readEvents(res);
    const sessionId = res.headers.get("x-session-id");
    // Let some text stream first.
    await until(async () => {
      const page = await call(`/api/v1/ai/sessions/${sessionId}/stream?after=3`, { token });
      const some = await readEvents(page, 1);
      return some.length > 0 ? true : undefined;
    });
    const cancel = await call(`/api/v1/ai/sessions/${sessionId}/cancel`, { method: "POST", token });
    expect(cancel.status).toBe(202);
    expect((await envelope<{ cancelling: boolean }>(cancel)).data.cancelling).toBe(true);
    const events = await reading;
    const done = events.at(-1);
    expect(done?.event).toBe("done");
    expect(done?.data.status).toBe("cancelled");
    const text = textOf(events);
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThan(words(2000).length);
    // The stand-in saw its stream cut before the end.
    await until(async () => ((await standIn()).aborted > abortedBefore ? true : undefined));
    // The ledger has the call, estimated from what streamed (no usage chunk came).
    const usage = await envelope<Usage>(await call("/api/v1/ai/usage", { token }));
    expect(usage.data.by_day[0]?.estimated_calls).toBe(1);
    expect(usage.data.by_day[0]?.output_tokens).toBeGreaterThan(0);
    // The partial answer is the stored message, marked cancelled.
    const history = await envelope<{ messages: { role: string; status: string; content: string }[] }[]>(
      await call(`/api/v1/agents/${AGENT}/history`, { token }),
    );
    const answer = history.data[0]?.messages.at(-1);
    expect(answer?.status).toBe("cancelled");
    expect(answer?.content).toBe(text);
  });

  it("at most the configured streams per user at once (429 beyond); another user is not held back", async () => {
    const { tenantId, token } = await aiTenant();
    const open = await Promise.all(
      [1, 2, 3].map(() => chat(token, { agent_id: AGENT, message: "[[hang]]" })),
    );
    expect(open.map((r) => r.status)).toEqual([200, 200, 200]);
    const fourth = await chat(token, { agent_id: AGENT, message: "one more" });
    expect(fourth.status).toBe(429);
    expect(fourth.headers.get("retry-after")).toBeTruthy();
    const other = await tokenFor({ tenantId, userId: crypto.randomUUID() });
    const theirs = await chat(other, { agent_id: AGENT, message: "mine" });
    expect(theirs.status).toBe(200);
    await readEvents(theirs);
    for (const r of open) {
      await call(`/api/v1/ai/sessions/${r.headers.get("x-session-id")}/cancel`, { method: "POST", token });
      const events = await readEvents(r);
      expect(events.at(-1)?.data.status).toBe("cancelled");
    }
  });

  it("a session streaming a turn refuses a second message (409); another user's session is 404", async () => {
    const { tenantId, token } = await aiTenant();
    const res = await chat(token, { agent_id: AGENT, message: "[[hang]]" });
    const sessionId = res.headers.get("x-session-id");
    const again = await chat(token, { agent_id: AGENT, message: "again", session_id: sessionId });
    expect(again.status).toBe(409);
    const other = await tokenFor({ tenantId, userId: crypto.randomUUID() });
    expect((await chat(other, { agent_id: AGENT, message: "x", session_id: sessionId })).status).toBe(404);
    expect((await call(`/api/v1/ai/sessions/${sessionId}/stream`, { token: other })).status).toBe(404);
    expect(
      (await call(`/api/v1/ai/sessions/${sessionId}/cancel`, { method: "POST", token: other })).status,
    ).toBe(404);
    await call(`/api/v1/ai/sessions/${sessionId}/cancel`, { method: "POST", token });
    await readEvents(res);
  });

  it("a model that breaks off mid-stream ends the turn as failed, with what it sent stored", async () => {
    const { token } = await aiTenant();
    const events = await readEvents(
      await chat(token, { agent_id: AGENT, message: "[[words 20]] [[fail-after 5]]" }),
    );
    expect(events.at(-1)?.data.status).toBe("failed");
    expect(events.some((e) => e.event === "error")).toBe(true);
    expect(textOf(events)).toBe("w1 w2 w3 w4 w5 ");
  });
});
