import { afterEach, describe, expect, it, vi } from "vitest";
import { streamCompletion } from "../../../workers/api/services/ai/chat-completions";
import type { ResolvedModel } from "../../../workers/api/services/ai/model-routing";

// A deployment that sends its headers and a first piece, then nothing (the stand-in's [[hang]]):
// the call ends as failed once no data came for the model timeout, with what it had streamed and
// its usage estimated, instead of holding the turn until the user gives up.

const resolved: ResolvedModel = {
  alias: "standard",
  model: "stall-model",
  deployment: "stall-deployment",
  baseUrl: "http://model.invalid",
  inferenceRegion: "eu",
};

const encoder = new TextEncoder();
const sse = (delta: string) =>
  encoder.encode(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: delta } }] })}\n\n`);

afterEach(() => vi.unstubAllGlobals());

describe("the chat completions client's stream deadline", () => {
  it("fails a stream that goes quiet after its first piece, keeping what it sent", async () => {
    let cancelled = false;
    vi.stubGlobal("fetch", async () => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(sse("Hello"));
        },
        cancel() {
          cancelled = true;
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    });
    const deltas: string[] = [];
    const started = Date.now();
    const result = await streamCompletion(
      resolved,
      { messages: [{ role: "user", content: "hi" }], tools: [], temperature: 0, maxOutputTokens: 50 },
      { signal: new AbortController().signal, timeoutMs: 150, onText: (d) => void deltas.push(d) },
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.outcome).toBe("failed");
    expect(result.error).toMatch(/broke off.*no data for 0\.15 s/);
    expect(result.text).toBe("Hello");
    expect(deltas).toEqual(["Hello"]);
    expect(result.usage.estimated).toBe(true);
    expect(cancelled).toBe(true);
  });

  it("lets a slow but steady stream finish", async () => {
    vi.stubGlobal("fetch", async () => {
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          for (const word of ["a", "b", "c"]) {
            controller.enqueue(sse(word));
            await new Promise((resolve) => setTimeout(resolve, 80));
          }
          controller.enqueue(
            encoder.encode(
              `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 3 } })}\n\ndata: [DONE]\n\n`,
            ),
          );
          controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    });
    const result = await streamCompletion(
      resolved,
      { messages: [{ role: "user", content: "hi" }], tools: [], temperature: 0, maxOutputTokens: 50 },
      { signal: new AbortController().signal, timeoutMs: 150, onText: () => {} },
    );
    expect(result).toMatchObject({ outcome: "completed", text: "abc", usage: { estimated: false } });
  });
});
