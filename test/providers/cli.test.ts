import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

// The CLI prints one JSON line on stdout once listening, serves, and exits 0 on SIGTERM.

describe("main.ts", () => {
  it("prints its URL and the providers' bases as JSON, serves, and closes cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "regions/payment-providers/main.ts", "--port", "0"],
      {
        cwd: `${import.meta.dirname}/../..`,
      },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const [first] = (await Promise.race([
        once(lines, "line"),
        new Promise((_, reject) => setTimeout(() => reject(new Error("no listening line")), 10_000)),
      ])) as [string];
      const listening = JSON.parse(first) as {
        event: string;
        url: string;
        providerUrls: Record<string, string>;
      };
      expect(listening).toMatchObject({ event: "listening", service: "payment-providers" });
      expect(listening.providerUrls).toEqual({
        stripe: listening.url,
        paystack: `${listening.url}/paystack`,
        flutterwave: `${listening.url}/flutterwave`,
      });
      expect(await (await fetch(`${listening.url}/health`)).json()).toEqual({ status: "ok" });

      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
