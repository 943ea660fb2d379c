import type {
  JSONSchema7,
  JSONValue,
  LanguageModelV3,
  LanguageModelV3StreamPart,
  LanguageModelV4,
  LanguageModelV4FinishReason,
  LanguageModelV4StreamPart,
} from "@ai-sdk/provider";
import { ApiError } from "../../lib/errors";
import {
  abortedBeforeAnswer,
  type CompletionRequest,
  type CompletionResult,
  type CompletionUsage,
  estimatedUsage,
  type ModelCaller,
  settledToolCalls,
  toolCallInput,
  type WireMessage,
} from "./model-port";

// The loop's model port over an AI SDK language model (the provider specification's
// `doStream`, v4 or v3): any provider package's model, or the SDK's mock models in tests. Only
// the spec's types are imported, so the Worker bundles none of the SDK. A call cut short keeps
// what was streamed and its estimated usage, as the chat completions client does (the SDK's own
// streamText drops the usage of an aborted call).

/** The prompt parts we send: text, tool calls and their results (one shape in spec v3 and v4). */
type ToolOutput = { type: "json"; value: JSONValue } | { type: "text"; value: string };
export type PromptMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: { type: "text"; text: string }[] }
  | {
      role: "assistant";
      content: (
        | { type: "text"; text: string }
        | { type: "tool-call"; toolCallId: string; toolName: string; input: unknown }
      )[];
    }
  | {
      role: "tool";
      content: { type: "tool-result"; toolCallId: string; toolName: string; output: ToolOutput }[];
    };

const toolOutput = (content: string): ToolOutput => {
  try {
    return { type: "json", value: JSON.parse(content) as JSONValue };
  } catch {
    return { type: "text", value: content };
  }
};

/** Our stored messages as the specification's prompt (a tool result names its call's tool). */
export function toPrompt(messages: readonly WireMessage[]): PromptMessage[] {
  const toolNames = new Map<string, string>();
  return messages.map((message): PromptMessage => {
    switch (message.role) {
      case "system":
        return { role: "system", content: message.content };
      case "user":
        return { role: "user", content: [{ type: "text", text: message.content }] };
      case "assistant":
        for (const call of message.tool_calls ?? []) toolNames.set(call.id, call.function.name);
        return {
          role: "assistant",
          content: [
            ...(message.content ? [{ type: "text" as const, text: message.content }] : []),
            ...(message.tool_calls ?? []).map((call) => ({
              type: "tool-call" as const,
              toolCallId: call.id,
              toolName: call.function.name,
              input: toolCallInput(call.function.arguments),
            })),
          ],
        };
      default:
        return {
          role: "tool",
          content: [
            {
              type: "tool-result",
              toolCallId: message.tool_call_id,
              toolName: toolNames.get(message.tool_call_id) ?? "",
              output: toolOutput(message.content),
            },
          ],
        };
    }
  });
}

/** The specification's finish reasons in the chat completions words steps record. */
const FINISH_WORDS: Record<LanguageModelV4FinishReason["unified"], string> = {
  stop: "stop",
  length: "length",
  "tool-calls": "tool_calls",
  "content-filter": "content_filter",
  error: "error",
  interrupted: "interrupted",
  other: "other",
};

export function aiSdkModel(model: LanguageModelV4 | LanguageModelV3): ModelCaller {
  return {
    async complete(request: CompletionRequest, options): Promise<CompletionResult> {
      const call = {
        prompt: toPrompt(request.messages),
        ...(request.tools.length > 0
          ? {
              tools: request.tools.map((tool) => ({
                type: "function" as const,
                name: tool.function.name,
                description: tool.function.description,
                inputSchema: tool.function.parameters as JSONSchema7,
              })),
              toolChoice: { type: "auto" as const },
            }
          : {}),
        temperature: request.temperature,
        maxOutputTokens: request.maxOutputTokens,
        abortSignal: options.signal,
      };
      let stream: ReadableStream<LanguageModelV4StreamPart | LanguageModelV3StreamPart>;
      try {
        stream = (await model.doStream(call)).stream;
      } catch (error) {
        if (options.signal.aborted) return abortedBeforeAnswer(request.messages);
        throw ApiError.unavailable(`Model ${model.provider}/${model.modelId} is unreachable`, 5, error);
      }

      let text = "";
      let finishReason: string | null = null;
      let finished = false;
      let reported: { input?: number | undefined; output?: number | undefined } = {};
      let error: string | undefined;
      // By the order each call began in; a complete tool-call part replaces the streamed input.
      const calls = new Map<string, { id: string; name: string; arguments: string }>();
      const callNamed = (id: string) => {
        const entry = calls.get(id) ?? { id, name: "", arguments: "" };
        calls.set(id, entry);
        return entry;
      };

      const reader = stream.getReader();
      // A model that does not watch its abort signal still stops: the read in flight ends.
      const onAbort = () => void reader.cancel(options.signal.reason).catch(() => undefined);
      options.signal.addEventListener("abort", onAbort);
      try {
        for (;;) {
          if (options.signal.aborted) break;
          const { value: part, done } = await reader.read();
          if (done) break;
          switch (part.type) {
            case "text-delta":
              if (!part.delta) break;
              text += part.delta;
              await options.onText(part.delta);
              break;
            case "tool-input-start":
              if (!part.providerExecuted) callNamed(part.id).name = part.toolName;
              break;
            case "tool-input-delta":
              if (calls.has(part.id)) callNamed(part.id).arguments += part.delta;
              break;
            case "tool-call":
              if (!part.providerExecuted) {
                const entry = callNamed(part.toolCallId);
                entry.name = part.toolName;
                entry.arguments = part.input;
              }
              break;
            case "finish":
              finished = true;
              finishReason = FINISH_WORDS[part.finishReason.unified] ?? part.finishReason.raw ?? null;
              reported = { input: part.usage.inputTokens.total, output: part.usage.outputTokens.total };
              if (part.finishReason.unified === "error" || part.finishReason.unified === "interrupted") {
                error ??= "The model's stream ended before it finished";
              }
              break;
            case "error":
              error ??= `The model's stream broke off: ${describe(part.error)}`;
              break;
          }
        }
      } catch (caught) {
        if (!options.signal.aborted) error ??= `The model's stream broke off: ${describe(caught)}`;
      } finally {
        options.signal.removeEventListener("abort", onAbort);
        await reader.cancel().catch(() => undefined);
        reader.releaseLock();
      }
      const outcome: CompletionResult["outcome"] =
        options.signal.aborted && !finished
          ? "aborted"
          : error
            ? "failed"
            : finished
              ? "completed"
              : "failed";
      if (outcome === "failed") error ??= "The model's stream ended before it finished";
      const toolCalls = settledToolCalls([...calls.values()]);
      const estimate = estimatedUsage(request.messages, text, toolCalls);
      const usage: CompletionUsage =
        reported.input === undefined || reported.output === undefined
          ? {
              inputTokens: reported.input ?? estimate.inputTokens,
              outputTokens: reported.output ?? estimate.outputTokens,
              estimated: true,
            }
          : { inputTokens: reported.input, outputTokens: reported.output, estimated: false };
      return {
        text,
        toolCalls,
        finishReason,
        usage,
        outcome,
        ...(outcome === "failed" && error ? { error } : {}),
      };
    },
  };
}

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error);
