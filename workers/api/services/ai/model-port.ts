// The one thing the agent loop needs from a model: one streamed call in the OpenAI chat
// completions message shape (what sessions and runs store), ending however it ends with what was
// received and what it cost. Production calls the region's deployment with the hand-written
// client (chat-completions.ts); ai-sdk-model.ts adapts an AI SDK language model to the same port.

export interface WireToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type WireMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: WireToolCall[] }
  | { role: "tool"; tool_call_id: string; content: string };

export interface WireTool {
  type: "function";
  function: { name: string; description: string; parameters: unknown };
}

export interface CompletionRequest {
  messages: WireMessage[];
  tools: WireTool[];
  temperature: number;
  maxOutputTokens: number;
}

export interface CompletionUsage {
  inputTokens: number;
  outputTokens: number;
  /** True when the provider sent no usage (the call was cut short): counted from what was sent and received. */
  estimated: boolean;
}

export interface CompletionResult {
  text: string;
  toolCalls: WireToolCall[];
  finishReason: string | null;
  usage: CompletionUsage;
  /** How the call ended: completed, aborted (cancel), or failed (the upstream broke off). */
  outcome: "completed" | "aborted" | "failed";
  error?: string;
}

export interface ModelCallOptions {
  signal: AbortSignal;
  onText: (delta: string) => Promise<void> | void;
}

/**
 * One model call. Resolves with what was received however the call ended (aborted and failed
 * calls included, with their usage); rejects only when no answer started (an ApiError, 503 for a
 * refused or unreachable model).
 */
export interface ModelCaller {
  complete(request: CompletionRequest, options: ModelCallOptions): Promise<CompletionResult>;
}

/** The providers' rule of thumb, used only when a call ended without a usage chunk. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/**
 * The usage of a call that ended without the provider's count: the prompt as sent (the wire
 * messages' JSON) and the text and tool arguments received, so every model port estimates alike.
 */
export function estimatedUsage(
  messages: readonly WireMessage[],
  text: string,
  toolCalls: readonly WireToolCall[],
): CompletionUsage {
  return {
    inputTokens: estimateTokens(JSON.stringify(messages)),
    outputTokens: estimateTokens(text + toolCalls.map((c) => c.function.arguments).join("")),
    estimated: true,
  };
}

/** A call cancelled before any answer began: only its prompt was spent. */
export function abortedBeforeAnswer(messages: readonly WireMessage[]): CompletionResult {
  return {
    text: "",
    toolCalls: [],
    finishReason: null,
    usage: estimatedUsage(messages, "", []),
    outcome: "aborted",
  };
}

/** A tool call's arguments as a value (the raw text when the model wrote no valid JSON). */
export function toolCallInput(raw: string): unknown {
  try {
    return JSON.parse(raw || "{}");
  } catch {
    return raw;
  }
}

/** Tool calls assembled from a stream: nameless fragments dropped, ids and arguments defaulted. */
export function settledToolCalls(
  calls: readonly { id: string; name: string; arguments: string }[],
): WireToolCall[] {
  return calls
    .filter((c) => c?.name)
    .map((c, i) => ({
      id: c.id || `call_${i}`,
      type: "function" as const,
      function: { name: c.name, arguments: c.arguments || "{}" },
    }));
}
