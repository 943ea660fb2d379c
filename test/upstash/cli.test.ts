import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { REDIS_URL } from "./harness";

// The CLI prints one JSON line on stdout once listening, serves, and exits 0 on SIGTERM.

describe("main.ts", () => {
  it("prints its URL as JSON, serves, and closes cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "regions/upstash-rest/main.ts", "--port", "0", "--redis", REDIS_URL],
      { cwd: `${import.meta.dirname}/../..`, env: { ...process.env, UPSTASH_REST_TOKEN: "cli-token" } },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const [first] = (await Promise.race([
        once(lines, "line"),
        new Promise((_, reject) => setTimeout(() => reject(new Error("no listening line")), 10_000)),
      ])) as [string];
      const listening = JSON.parse(first) as { event: string; url: string; port: number };
      expect(listening).toMatchObject({ event: "listening", port: expect.any(Number) });

      const response = await fetch(`${listening.url}/ping`, {
        headers: { authorization: "Bearer cli-token" },
      });
      expect(await response.json()).toEqual({ result: "PONG" });

      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("exits with a usage error when no token is given", async () => {
    const env = { ...process.env };
    delete env.UPSTASH_REST_TOKEN;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "regions/upstash-rest/main.ts", "--port", "0"],
      {
        cwd: `${import.meta.dirname}/../..`,
        env,
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain("token is required");
  });
});
