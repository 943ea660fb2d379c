import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { listen } from "../lib/node-service";
import { createRedisGateway, type Log } from "./redis-gateway";
import { createRouter } from "./router";

// An Upstash-compatible REST endpoint (the protocol @upstash/redis speaks) over a real Redis, for
// local development and tests. See README.md for the protocol details and the refused commands.

export interface UpstashRestServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export interface UpstashRestOptions {
  /** Default redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  token: string;
  log?: (line: Record<string, unknown>) => void;
}

const optionsSchema = z.object({
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, "redisUrl must start with redis:// or rediss://")
    .default("redis://127.0.0.1:6379"),
  port: z.number().int().min(0).max(65_535).default(0),
  host: z.string().min(1).default("127.0.0.1"),
  token: z.string().min(1, "token must not be empty"),
});

/** 1 MiB, like the request sizes our Workers send; larger bodies get a JSON 413. */
const MAX_BODY_BYTES = 1024 * 1024;
/** How long start-up waits for the first Redis connection; the server starts either way. */
const STARTUP_REDIS_WAIT_MS = 1_500;
/** In-flight requests get this long to finish on close before their sockets are cut. */
const CLOSE_GRACE_MS = 2_000;

export async function startUpstashRest(options: UpstashRestOptions): Promise<UpstashRestServer> {
  const { redisUrl, port, host, token } = optionsSchema.parse(options);
  const log: Log = (line) => {
    // A failing logger must not take the server (or a Redis event handler) down with it.
    try {
      options.log?.(line);
    } catch {}
  };
  const gateway = createRedisGateway({ url: redisUrl, log });
  const router = createRouter({ gateway, token, log, maxBodyBytes: MAX_BODY_BYTES });
  const server = createServer((req, res) => {
    void router(req, res);
  });

  let address: AddressInfo;
  try {
    // Waiting for the first connection avoids 503s on requests sent right after start-up; an
    // unreachable Redis only delays start by one failed connect attempt.
    [address] = await Promise.all([
      listen(server, port, host),
      gateway.waitUntilReady(STARTUP_REDIS_WAIT_MS),
    ]);
  } catch (error) {
    await gateway.close();
    throw error;
  }

  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    token,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        await closed;
        clearTimeout(force);
        await gateway.close();
      })();
      return closing;
    },
  };
}
