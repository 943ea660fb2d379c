import { blockingTimeoutMs, refusalReason } from "./command-policy";
import { encodeResult, type JsonReply, type ResponseEncoding } from "./encoding";
import { HttpError, RedisCommandError } from "./errors";
import type { RedisGateway } from "./redis-gateway";
import type { Command } from "./request-parsing";

// Executes parsed commands for the three endpoints and shapes their JSON answers. A thrown
// HttpError, RedisCommandError or RedisUnavailableError is turned into a status by the router.

/** Longest a blocking command may wait; longer (or 0 = forever) is refused to keep requests bounded. */
export const MAX_BLOCKING_MS = 10_000;

export type Entry = { result: JsonReply } | { error: string };

export interface CommandContext {
  gateway: RedisGateway;
  encoding: ResponseEncoding;
}

function blockingRefusal(command: Command, timeoutMs: number): string | undefined {
  if (timeoutMs === 0) {
    return `ERR blocking '${command[0]}' with timeout 0 would block forever; use a timeout of at most ${MAX_BLOCKING_MS / 1000}s`;
  }
  if (timeoutMs > MAX_BLOCKING_MS) {
    return `ERR blocking '${command[0]}' timeout exceeds the ${MAX_BLOCKING_MS / 1000}s limit of this REST server`;
  }
  return undefined;
}

/** `POST /` and the path form: `{"result": …}`, or a thrown error for a 400/503. */
export async function runCommand(ctx: CommandContext, command: Command): Promise<{ result: JsonReply }> {
  const refusal = refusalReason(command);
  if (refusal) throw new HttpError(400, refusal);
  const timeoutMs = blockingTimeoutMs(command);
  if (timeoutMs !== undefined) {
    const blocking = blockingRefusal(command, timeoutMs);
    if (blocking) throw new HttpError(400, blocking);
  }
  const reply =
    timeoutMs === undefined
      ? await ctx.gateway.exec(command)
      : await ctx.gateway.execBlocking(command, timeoutMs);
  return { result: encodeResult(reply, ctx.encoding) };
}

/**
 * `POST /pipeline`: every command runs in order, not atomically; each gets its own entry. A refused
 * command gets an error entry without stopping the others. If Redis is unreachable the whole
 * request fails with 503, since none of the entries could be trusted.
 */
export async function runPipeline(ctx: CommandContext, commands: Command[]): Promise<Entry[]> {
  // Every gateway.exec call writes its command synchronously, so mapping first keeps the order.
  const pending = commands.map((command): Promise<Entry> | Entry => {
    const refusal = refusalReason(command);
    if (refusal) return { error: refusal };
    // A blocking command would stall the shared connection for everyone; MULTI runs them without blocking.
    if (blockingTimeoutMs(command) !== undefined) {
      return {
        error: `ERR blocking '${command[0]}' is not supported in /pipeline; send it alone or in /multi-exec`,
      };
    }
    return ctx.gateway.exec(command).then(
      (reply) => ({ result: encodeResult(reply, ctx.encoding) }),
      (error: unknown) => {
        if (error instanceof RedisCommandError) return { error: error.message };
        throw error;
      },
    );
  });
  const settled = await Promise.allSettled(pending);
  const failure = settled.find((entry) => entry.status === "rejected");
  if (failure) throw failure.reason;
  return settled.map((entry) => (entry as PromiseFulfilledResult<Entry>).value);
}

/**
 * `POST /multi-exec`: MULTI … EXEC. As on Upstash, a refused or malformed command discards the whole
 * transaction (thrown error, 400), while a command failing at run time gets an error entry and the
 * others still apply, as in Redis.
 */
export async function runTransaction(ctx: CommandContext, commands: Command[]): Promise<Entry[]> {
  for (const [index, command] of commands.entries()) {
    const refusal = refusalReason(command);
    if (refusal) throw new HttpError(400, `${refusal} (command ${index + 1}; transaction discarded)`);
  }
  const replies = await ctx.gateway.transaction(commands);
  return replies.map((reply) =>
    reply instanceof RedisCommandError
      ? { error: reply.message }
      : { result: encodeResult(reply, ctx.encoding) },
  );
}
