import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The machine's NATS server binary (Debian's package); tests start their own, never touch :4222. */
export const NATS_SERVER_BINARY = process.env.NEXUS_TEST_NATS_SERVER ?? "/usr/sbin/nats-server";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

/**
 * A NATS server with JetStream of a test's own, on a free loopback port, with a store directory
 * that survives stop()/start() (a restart keeps the stream and its de-duplication window).
 * `accounts` is the config's accounts block body (users and permissions), if any.
 */
export class TestNatsServer {
  readonly port: number;
  readonly dir: string;
  #process: ChildProcess | undefined;

  private constructor(port: number, dir: string, accounts: string | undefined) {
    this.port = port;
    this.dir = dir;
    writeFileSync(
      join(dir, "nats.conf"),
      [
        "host: 127.0.0.1",
        `port: ${port}`,
        `jetstream { store_dir: ${JSON.stringify(join(dir, "store"))} }`,
        accounts ? `accounts { ${accounts} }` : "",
      ].join("\n"),
    );
  }

  static async start(accounts?: string): Promise<TestNatsServer> {
    const server = new TestNatsServer(await freePort(), mkdtempSync(join(tmpdir(), "nexus-nats-")), accounts);
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(NATS_SERVER_BINARY, ["-c", join(this.dir, "nats.conf")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    this.#process = child;
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`nats-server exited ${child.exitCode}: ${stderr}`);
      if (await acceptsConnections(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`nats-server did not listen on ${this.port}: ${stderr}`);
  }

  /** A graceful stop (SIGTERM: JetStream flushes its store), awaited. */
  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
