import { connect, createServer, type Server, type Socket } from "node:net";
import { errors, Redis } from "@upstash/redis";
import { afterAll, describe, expect, it } from "vitest";
import { startUpstashRest, type UpstashRestServer } from "../../regions/upstash-rest/server";
import { REDIS_URL, unusedPort } from "./harness";

// Redis unreachable: answers must be fast JSON 503s, never hangs, and service must resume when
// Redis comes back. The real Redis is never stopped: a TCP proxy in front of it is cut instead.

const servers: UpstashRestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function call(server: UpstashRestServer, path: string, init: RequestInit = {}) {
  const started = Date.now();
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${server.token}`, ...init.headers },
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: (await response.json()) as unknown, ms: Date.now() - started };
}

const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body) });

describe("Redis unreachable", () => {
  it("starts anyway and answers every endpoint with a fast JSON 503", async () => {
    const started = Date.now();
    const server = await startUpstashRest({
      token: "t",
      redisUrl: `redis://127.0.0.1:${await unusedPort()}`,
    });
    servers.push(server);
    expect(Date.now() - started).toBeLessThan(2_500);

    for (const [path, init] of [
      ["/", post(["GET", "k"])],
      ["/pipeline", post([["GET", "k"]])],
      ["/multi-exec", post([["GET", "k"]])],
      ["/get/k", {}],
      ["/blpop/k/1", {}],
    ] as const) {
      const result = await call(server, path, init);
      expect(result.status, path).toBe(503);
      expect(result.body, path).toEqual({ error: expect.stringMatching(/^ERR Redis unavailable/) });
      expect(result.ms, path).toBeLessThan(1_000);
    }
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "unavailable" });

    const client = new Redis({ url: server.url, token: server.token });
    const clientStarted = Date.now();
    await expect(client.get("k")).rejects.toThrow(errors.UpstashError);
    expect(Date.now() - clientStarted).toBeLessThan(1_000);
  });

  it("recovers when Redis comes back", async () => {
    const redisPort = Number(new URL(REDIS_URL).port || 6379);
    const redisHost = new URL(REDIS_URL).hostname;
    const proxy = new CuttableProxy(redisHost, redisPort);
    const port = await proxy.listen(0);
    const server = await startUpstashRest({ token: "t", redisUrl: `redis://127.0.0.1:${port}` });
    servers.push(server);
    try {
      expect((await call(server, "/ping")).body).toEqual({ result: "PONG" });

      await proxy.stop();
      const down = await waitFor(async () => (await call(server, "/ping")).status === 503);
      expect(down).toBe(true);

      await proxy.listen(port);
      const up = await waitFor(async () => (await call(server, "/ping")).status === 200);
      expect(up).toBe(true);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await proxy.stop();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 8_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Forwards TCP to Redis; stop() closes the listener and cuts every open connection. */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  listen(port: number): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.port, this.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    return new Promise((resolve) =>
      server.listen(port, "127.0.0.1", () => {
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      }),
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
