import { z } from "zod";
import { ApiError } from "../../lib/errors";
import { tracedFetch } from "../../observability/traced-fetch";
import {
  abortedBeforeAnswer,
  type CompletionRequest,
  type CompletionResult,
  type CompletionUsage,
  estimatedUsage,
  type ModelCaller,
  settledToolCalls,
} from "./model-port";
import type { ResolvedModel } from "./model-routing";

// A small client for the OpenAI chat completions wire format (streaming), the one format every
// deployment we route to speaks (the regional model gateways, OpenAI's and Azure's EU endpoints,
// the local stand-in): the production implementation of the loop's model port (model-port.ts).
// Kept to what agents need and what the AI SDK does not give on abort: the usage of a call cut
// short is still counted (from what was streamed when no usage chunk came).

const chunkSchema = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        delta: z
          .looseObject({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.looseObject({
                  index: z.number().int().min(0).max(63),
                  id: z.string().optional(),
                  function: z
                    .looseObject({ name: z.string().optional(), arguments: z.string().optional() })
                    .optional(),
                }),
              )
              .optional(),
          })
          .optional(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z
    .looseObject({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) })
    .nullish(),
});

/**
 * Streams one completion, calling `onText` for every content delta as it arrives. Resolves with
 * what was received however the call ended; rejects only when no answer started (503 for a
 * refused or unreachable deployment, with the status it gave).
 */
export async function streamCompletion(
  resolved: ResolvedModel,
  request: CompletionRequest,
  options: { signal: AbortSignal; timeoutMs: number; onText: (delta: string) => Promise<void> | void },
): Promise<CompletionResult> {
  const body = {
    model: resolved.model,
    messages: request.messages,
    ...(request.tools.length > 0 ? { tools: request.tools, tool_choice: "auto" } : {}),
    temperature: request.temperature,
    max_tokens: request.maxOutputTokens,
    stream: true,
    stream_options: { include_usage: true },
  };
  const headersDeadline = AbortSignal.timeout(options.timeoutMs);
  const started = new AbortController();
  const onHeadersTimeout = () => started.abort(headersDeadline.reason);
  headersDeadline.addEventListener("abort", onHeadersTimeout);
  let response: Response;
  try {
    response = await tracedFetch(
      { name: "model chat completions", attributes: { "nexus.provider": "model" }, propagate: false },
      `${resolved.baseUrl}/chat/completions`,
      {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify(body),
        signal: AbortSignal.any([options.signal, started.signal]),
      },
    );
  } catch (error) {
    headersDeadline.removeEventListener("abort", onHeadersTimeout);
    if (options.signal.aborted) return abortedBeforeAnswer(request.messages);
    throw ApiError.unavailable(`Model deployment ${resolved.deployment} is unreachable`, 5, error);
  }
  headersDeadline.removeEventListener("abort", onHeadersTimeout);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw ApiError.unavailable(`Model deployment ${resolved.deployment} answered ${response.status}`, 5);
  }

  let text = "";
  let finishReason: string | null = null;
  let usage: CompletionUsage | undefined;
  const calls: { id: string; name: string; arguments: string }[] = [];
  let outcome: CompletionResult["outcome"] = "completed";
  let error: string | undefined;

  const handle = async (data: string) => {
    if (data === "[DONE]") return true;
    const parsed = chunkSchema.safeParse(JSON.parse(data));
    if (!parsed.success) return false;
    if (parsed.data.usage) {
      usage = {
        inputTokens: parsed.data.usage.prompt_tokens,
        outputTokens: parsed.data.usage.completion_tokens,
        estimated: false,
      };
    }
    for (const choice of parsed.data.choices ?? []) {
      if (choice.finish_reason) finishReason = choice.finish_reason;
      const delta = choice.delta;
      if (!delta) continue;
      if (delta.content) {
        text += delta.content;
        await options.onText(delta.content);
      }
      for (const call of delta.tool_calls ?? []) {
        const entry = calls[call.index] ?? { id: "", name: "", arguments: "" };
        calls[call.index] = entry;
        if (call.id) entry.id = call.id;
        if (call.function?.name) entry.name += call.function.name;
        if (call.function?.arguments) entry.arguments += call.function.arguments;
      }
    }
    return false;
  };

  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    read: for (;;) {
      const { value, done } = await readWithin(reader, options.timeoutMs);
      if (done) break;
      buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (data && (await handle(data))) break read;
        end = buffer.indexOf("\n\n");
      }
    }
    if (!usage && finishReason === null) {
      outcome = "failed";
      error = "The model's stream ended before it finished";
    }
  } catch (caught) {
    outcome = options.signal.aborted ? "aborted" : "failed";
    if (outcome === "failed") error = `The model's stream broke off: ${String(caught)}`;
  } finally {
    // An aborted fetch has already closed the upstream connection; a broken one is closed here.
    if (outcome !== "completed") await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  const toolCalls = settledToolCalls(calls);
  return {
    text,
    toolCalls,
    finishReason,
    usage: usage ?? estimatedUsage(request.messages, text, toolCalls),
    outcome,
    ...(error ? { error } : {}),
  };
}

/**
 * The next piece of the stream, or a throw once none came for `ms`: a deployment that stops
 * mid-answer (headers sent, then silence) would otherwise hold the turn, its stream slot and the
 * user's connection until the user gives up. The same bound as for the headers.
 */
async function readWithin(
  reader: ReadableStreamDefaultReader<string>,
  ms: number,
): Promise<ReadableStreamReadResult<string>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no data for ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/** The model port of a resolved deployment: the production caller of the agent loop. */
export function chatCompletionsModel(resolved: ResolvedModel, timeoutMs: number): ModelCaller {
  return {
    complete: (request, options) => streamCompletion(resolved, request, { ...options, timeoutMs }),
  };
}
