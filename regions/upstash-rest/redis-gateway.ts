import { Command, Redis, type RedisOptions, ReplyError } from "ioredis";
import type { RedisReply } from "./encoding";
import { RedisCommandError, RedisUnavailableError } from "./errors";

// The only module that talks to Redis. One shared connection carries every request: commands
// written back to back are pipelined by Redis in order, which is exactly the non-atomic ordering
// /pipeline promises. Blocking commands get a connection of their own so they cannot stall others.
//
// Failing fast matters more than queueing: with the offline queue disabled a command sent while
// Redis is down fails at once (HTTP 503) instead of waiting, and ioredis keeps reconnecting in the
// background so the server recovers by itself when Redis returns.

export type Log = (line: Record<string, unknown>) => void;

export interface RedisGateway {
  /** Runs one command on the shared connection. Synchronous up to the write, so calls keep their order. */
  exec(command: readonly string[]): Promise<RedisReply>;
  /** Runs one blocking command (BLPOP …) on a dedicated connection, closed afterwards. */
  execBlocking(command: readonly string[], timeoutMs: number): Promise<RedisReply>;
  /** Runs commands inside MULTI/EXEC; each entry is a reply or the error Redis gave that command. */
  transaction(commands: readonly (readonly string[])[]): Promise<(RedisReply | RedisCommandError)[]>;
  /** Resolves when Redis answers PING within the timeout, rejects otherwise. */
  ping(timeoutMs: number): Promise<void>;
  /** Resolves true once connected, false if the first attempt fails or the timeout passes first. */
  waitUntilReady(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface RedisGatewayOptions {
  url: string;
  log: Log;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

/** Each blocking command holds a Redis connection; past this many at once new ones get a 503. */
const MAX_BLOCKING_CONNECTIONS = 32;

/** Redis errors that mean "the server cannot serve now", not "your command is wrong". */
const UNAVAILABLE_PREFIXES = ["LOADING", "BUSY", "MASTERDOWN", "NOAUTH", "WRONGPASS"];

/**
 * A command whose reply reaches us untouched. ioredis reshapes some replies by command name
 * (HGETALL into an object, XREAD into pairs …); Upstash returns Redis's own RESP2 shapes.
 */
class RawCommand extends Command {
  override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result;
  }
}

function rawCommand(command: readonly string[]): Command {
  const [name = "", ...args] = command;
  return new RawCommand(name, args);
}

function classify(error: unknown): Error {
  if (error instanceof RedisCommandError || error instanceof RedisUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ReplyError) {
    const unavailable = UNAVAILABLE_PREFIXES.some((prefix) => message.startsWith(prefix));
    return unavailable ? new RedisUnavailableError(message) : new RedisCommandError(message);
  }
  return new RedisUnavailableError(message);
}

function send(redis: Redis, command: readonly string[]): Promise<RedisReply> {
  const raw = rawCommand(command);
  void redis.sendCommand(raw);
  return raw.promise.catch((error: unknown) => Promise.reject(classify(error)));
}

function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable Redis URL)";
  }
}

export function createRedisGateway(options: RedisGatewayOptions): RedisGateway {
  const { url, log } = options;
  const connectTimeout = options.connectTimeoutMs ?? 1_000;
  const commandTimeout = options.commandTimeoutMs ?? 10_000;
  const baseOptions: RedisOptions = {
    // RESP2 replies are what Upstash returns (flat HGETALL arrays, scores as strings).
    protocol: 2,
    connectTimeout,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectionName: "upstash-rest",
  };
  const redis = new Redis(url, {
    ...baseOptions,
    commandTimeout,
    // Never give up: a local Redis restarted later must be picked up again.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  const blockingConnections = new Set<Redis>();
  let down = false;
  redis.on("error", (error: Error) => {
    // ioredis emits an error per reconnect attempt; log the outage once.
    if (down) return;
    down = true;
    log({ level: "warn", event: "redis_unavailable", redis: redactedUrl(url), error: error.message });
  });
  redis.on("ready", () => {
    log({ level: "info", event: down ? "redis_recovered" : "redis_ready", redis: redactedUrl(url) });
    down = false;
  });

  const ensureReady = (): void => {
    if (redis.status !== "ready") {
      throw new RedisUnavailableError(`Redis at ${redactedUrl(url)} is not reachable (${redis.status})`);
    }
  };

  const exec = (command: readonly string[]): Promise<RedisReply> => {
    try {
      ensureReady();
    } catch (error) {
      return Promise.reject(error);
    }
    return send(redis, command);
  };

  return {
    exec,

    async execBlocking(command, timeoutMs) {
      ensureReady();
      if (blockingConnections.size >= MAX_BLOCKING_CONNECTIONS) {
        throw new RedisUnavailableError(`too many blocking commands in flight (${MAX_BLOCKING_CONNECTIONS})`);
      }
      const connection = redis.duplicate({
        ...baseOptions,
        lazyConnect: true,
        retryStrategy: () => null,
        // The command itself ends at its own timeout; this only guards against a vanished server.
        commandTimeout: timeoutMs + commandTimeout,
      });
      connection.on("error", () => {});
      blockingConnections.add(connection);
      try {
        await connection.connect().catch((error: unknown) => Promise.reject(classify(error)));
        return await send(connection, command);
      } finally {
        blockingConnections.delete(connection);
        connection.disconnect();
      }
    },

    async transaction(commands) {
      ensureReady();
      // At run time multi() is a Pipeline, which accepts prepared commands; its typings omit that.
      const multi = redis.multi() as ReturnType<Redis["multi"]> & { sendCommand(command: Command): unknown };
      for (const command of commands) multi.sendCommand(rawCommand(command));
      let entries: [error: Error | null, result: unknown][] | null;
      try {
        entries = await multi.exec();
      } catch (error) {
        // EXECABORT carries the queue-time errors that caused it; surface the first one.
        const previous = (error as { previousErrors?: Error[] }).previousErrors?.[0];
        const classified = classify(error);
        if (previous && classified instanceof RedisCommandError) {
          throw new RedisCommandError(`${classified.message} ${previous.message}`.trim());
        }
        throw classified;
      }
      if (!entries) throw new RedisCommandError("EXECABORT Transaction discarded");
      return entries.map(([error, result]) =>
        error ? new RedisCommandError(error.message) : (result as RedisReply),
      );
    },

    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RedisUnavailableError("PING timed out")), timeoutMs);
      });
      try {
        await Promise.race([exec(["PING"]), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },

    waitUntilReady(timeoutMs) {
      if (redis.status === "ready") return Promise.resolve(true);
      return new Promise((resolve) => {
        const finish = (ready: boolean) => {
          clearTimeout(timer);
          redis.off("ready", onReady);
          redis.off("error", onError);
          resolve(ready);
        };
        const onReady = () => finish(true);
        const onError = () => finish(false);
        const timer = setTimeout(() => finish(false), timeoutMs);
        redis.on("ready", onReady);
        redis.on("error", onError);
      });
    },

    async close() {
      for (const connection of blockingConnections) connection.disconnect();
      blockingConnections.clear();
      redis.disconnect();
    },
  };
}
