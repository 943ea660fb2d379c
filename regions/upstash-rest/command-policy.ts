// Which Redis commands this REST server refuses, and which ones block.
//
// Every request shares one Redis connection, so anything that changes the connection's state
// (MULTI, SELECT, CLIENT REPLY, HELLO …), switches it into another mode (SUBSCRIBE, MONITOR) or
// blocks it would break or stall every other caller. Admin commands that stop, reconfigure or
// wipe the shared local Redis are refused too: other services and test runs use the same Redis.

const CONNECTION_STATE = "changes the state of the shared Redis connection; REST requests are stateless";
const TRANSACTION = "use POST /multi-exec for transactions";
const PUBSUB = "needs a long-lived connection; use a Redis client (PUBLISH is supported)";
const ADMIN = "is an administrative command, not available over REST";
const FLUSH = "would wipe data of every service sharing this Redis; delete your own keys instead";

const REFUSED_COMMANDS: ReadonlyMap<string, string> = new Map([
  ...["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"].map(
    (name) => [name, PUBSUB] as const,
  ),
  ["monitor", "streams every command; not available over REST"],
  ...["multi", "exec", "discard", "watch", "unwatch"].map((name) => [name, TRANSACTION] as const),
  ...["select", "swapdb", "auth", "hello", "reset", "quit", "client", "readonly", "readwrite"].map(
    (name) => [name, CONNECTION_STATE] as const,
  ),
  ...[
    "sync",
    "psync",
    "replicaof",
    "slaveof",
    "shutdown",
    "debug",
    "failover",
    "save",
    "bgsave",
    "bgrewriteaof",
    "module",
    "cluster",
  ].map((name) => [name, ADMIN] as const),
  ...["flushall", "flushdb"].map((name) => [name, FLUSH] as const),
]);

/** Subcommands refused for commands that are otherwise allowed (CONFIG GET and ACL WHOAMI stay usable). */
const REFUSED_SUBCOMMANDS: ReadonlyMap<string, (sub: string) => boolean> = new Map([
  ["config", (sub: string) => sub !== "get"],
  ["acl", (sub: string) => ["setuser", "deluser", "load", "save"].includes(sub)],
]);

/** Returns why a command is refused (an Upstash-style "ERR …" message), or undefined when allowed. */
export function refusalReason(command: readonly string[]): string | undefined {
  const name = (command[0] ?? "").toLowerCase();
  const reason = REFUSED_COMMANDS.get(name);
  if (reason) return `ERR command '${name}' is not supported by this REST server: it ${reason}`;
  const sub = (command[1] ?? "").toLowerCase();
  if (REFUSED_SUBCOMMANDS.get(name)?.(sub)) {
    return `ERR command '${name} ${sub}' is not supported by this REST server: it ${ADMIN}`;
  }
  return undefined;
}

const LAST_ARG_SECONDS = new Set(["blpop", "brpop", "brpoplpush", "blmove", "bzpopmin", "bzpopmax"]);
const FIRST_ARG_SECONDS = new Set(["blmpop", "bzmpop"]);

/**
 * How long a command may block Redis, in milliseconds: undefined when it does not block (or its
 * timeout is malformed, which Redis rejects at once), 0 when it would block forever.
 */
export function blockingTimeoutMs(command: readonly string[]): number | undefined {
  const name = (command[0] ?? "").toLowerCase();
  const args = command.slice(1);
  if (LAST_ARG_SECONDS.has(name)) return secondsToMs(args.at(-1));
  if (FIRST_ARG_SECONDS.has(name)) return secondsToMs(args[0]);
  if (name === "xread" || name === "xreadgroup") {
    const at = args.findIndex((arg) => arg.toLowerCase() === "block");
    return at === -1 ? undefined : milliseconds(args[at + 1]);
  }
  if (name === "wait") return milliseconds(args[1]);
  if (name === "waitaof") return milliseconds(args[2]);
  return undefined;
}

function secondsToMs(value: string | undefined): number | undefined {
  const ms = milliseconds(value);
  return ms === undefined ? undefined : ms * 1000;
}

function milliseconds(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}
