// What the model stand-in says, decided only by the request: directives in the last user message
// (`[[tool name {json}]]`, `[[slow ms]]`, `[[fail-after n]]`, `[[hang]]`, `[[words n]]`,
// `[[status n]]`) and whether tool results came back since. The same request always gets the same
// answer, so tests and benchmarks can say exactly what they expect.

export interface WireMessage {
  role: "system" | "user" | "assistant" | "tool";
  content?: string | null;
  tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export interface ScriptedToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface Script {
  /** Text pieces, one per content chunk (a word and its following space). */
  text: string[];
  toolCalls: ScriptedToolCall[];
  delayMs: number;
  /** Content chunks sent before the connection is cut; undefined: never. */
  failAfter: number | undefined;
  hang: boolean;
  /** An HTTP error status answered instead of a stream. */
  status: number | undefined;
  promptTokens: number;
}

// An argument runs to the first `]]` (so JSON with arrays is fine, an array of arrays is not).
const DIRECTIVE = /\[\[(\w[\w-]*)(?:\s+((?:(?!\]\]).)*))?\]\]/gs;
const MAX_WORDS = 100_000;

/** Roughly four characters per token, as the providers' rule of thumb says. */
export const tokensOf = (text: string) => Math.ceil(text.length / 4);

const textOf = (m: WireMessage) => m.content ?? "";

export function scriptFor(messages: readonly WireMessage[]): Script {
  const promptTokens = tokensOf(
    messages.map((m) => `${textOf(m)}${JSON.stringify(m.tool_calls ?? [])}`).join("\n"),
  );
  const lastUser = messages.map((m) => m.role).lastIndexOf("user");
  const prompt = lastUser >= 0 ? textOf(messages[lastUser] as WireMessage) : "";
  const after = messages.slice(lastUser + 1);
  const toolResults = after.filter((m) => m.role === "tool");
  const script: Script = {
    text: [],
    toolCalls: [],
    delayMs: 0,
    failAfter: undefined,
    hang: false,
    status: undefined,
    promptTokens,
  };
  let words: number | undefined;
  const asked: ScriptedToolCall[] = [];
  for (const match of prompt.matchAll(DIRECTIVE)) {
    const [, name, arg = ""] = match;
    const n = Number.parseInt(arg, 10);
    if (name === "tool") {
      const space = arg.indexOf(" ");
      const tool = (space < 0 ? arg : arg.slice(0, space)).trim();
      const args = space < 0 ? "{}" : arg.slice(space + 1).trim() || "{}";
      asked.push({ id: `call_${asked.length + 1}_${tool}`, name: tool, arguments: args });
    } else if (name === "slow" && n >= 0) script.delayMs = n;
    else if (name === "fail-after" && n >= 0) script.failAfter = n;
    else if (name === "hang") script.hang = true;
    else if (name === "words" && n > 0) words = Math.min(n, MAX_WORDS);
    else if (name === "status" && n >= 400 && n <= 599) script.status = n;
  }
  const plain = prompt.replace(DIRECTIVE, "").replace(/\s+/g, " ").trim();

  if (asked.length > 0 && toolResults.length === 0) {
    script.toolCalls = asked;
    return script;
  }
  let answer: string;
  if (toolResults.length > 0) {
    const names = new Map<string, string>();
    for (const m of after) for (const call of m.tool_calls ?? []) names.set(call.id, call.function.name);
    answer = toolResults
      .map((m) => `${names.get(m.tool_call_id ?? "") ?? "tool"} returned ${textOf(m).slice(0, 400)}`)
      .join(" ; ");
    answer = `From the tools: ${answer}`;
  } else if (words !== undefined) {
    answer = Array.from({ length: words }, (_, i) => `w${i + 1}`).join(" ");
  } else {
    answer = `Echo: ${plain || "(nothing asked)"}`;
  }
  script.text = answer.split(/(?<= )/);
  return script;
}
