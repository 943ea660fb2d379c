import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { Redis, type RedisConfigNodejs } from "@upstash/redis";
import { Redis as DirectRedis } from "ioredis";
import { startUpstashRest, type UpstashRestServer } from "../../regions/upstash-rest/server";

// Shared set-up for the upstash tests: the REST server in-process on an ephemeral port over the
// real Redis, a unique key prefix per run (the Redis is shared with other tests) and a direct
// Redis connection used only to check state and to delete this run's keys afterwards.

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export interface Harness {
  server: UpstashRestServer;
  prefix: string;
  key(name: string): string;
  /** The real @upstash/redis client, default options (base64 responses) unless overridden. */
  client(options?: Partial<RedisConfigNodejs>): Redis;
  /** Plain fetch against the server, with the bearer token unless headers say otherwise. */
  call(path: string, init?: RequestInit): Promise<{ status: number; body: unknown }>;
  direct: DirectRedis;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const token = `test-${randomUUID()}`;
  const server = await startUpstashRest({ token, redisUrl: REDIS_URL });
  const prefix = `upstash-rest-test:${randomUUID()}:`;
  const direct = new DirectRedis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
  });
  await direct.connect();
  return {
    server,
    prefix,
    key: (name) => `${prefix}${name}`,
    client: (options) => new Redis({ url: server.url, token, ...options }),
    async call(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
      const response = await fetch(`${server.url}${path}`, {
        ...init,
        headers,
        signal: init.signal ?? AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      // Every answer must be JSON, errors included: JSON.parse throws (and fails the test) otherwise.
      return { status: response.status, body: JSON.parse(text) as unknown };
    },
    direct,
    async close() {
      const keys = await direct.keys(`${prefix}*`);
      if (keys.length > 0) await direct.del(...keys);
      direct.disconnect();
      await server.close();
    },
  };
}

/** A TCP port nobody listens on (bound then released), for "Redis unreachable" cases. */
export async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

export function jsonBody(value: unknown): RequestInit {
  return { method: "POST", body: JSON.stringify(value), headers: { "content-type": "application/json" } };
}
