import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { scanFiles } from "../../scripts/lib/residency/store-scans";
import { stackToken } from "../support/e2e-stack";

const stack = inject("e2e");

/** Every file under dir (recursively) whose bytes contain needle (the canary's own scan). */
const filesHolding = (dir: string, needle: string) => scanFiles(dir, dir, needle).hits;

const euLines = () =>
  readFileSync(stack.outputFile, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("[eu] "));

describe("residency of what the EU Worker logs and traces", () => {
  it("keeps a Lagos request's query out of every EU store, log and trace", async () => {
    const marker = `residency-${crypto.randomUUID()}`;
    const token = await stackToken("lagos");
    const res = await fetch(`${stack.eu}/api/v1/crm/contacts?email=${marker}@example.com`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Nexus-Region")).toBe("lagos");
    const requestId = res.headers.get("X-Request-Id") ?? "missing";
    await res.body?.cancel();

    // The EU Worker logged the request (our line, with the route template) — and nothing else held the query.
    await expect
      .poll(() => euLines().filter((line) => line.includes(requestId)), { timeout: 5000 })
      .toHaveLength(1);
    const [line] = euLines().filter((l) => l.includes(requestId));
    expect(JSON.parse(line?.slice("[eu] ".length) ?? "{}")).toMatchObject({
      msg: "request",
      route: "/api/*",
    });

    expect(euLines().filter((l) => l.includes(marker))).toEqual([]);
    // The EU region's database and its wrangler state (Durable Objects, caches, any local trace store).
    expect(filesHolding(join(stack.dataDir, "pglite-eu"), marker)).toEqual([]);
    expect(filesHolding(join(stack.dataDir, "wrangler-eu"), marker)).toEqual([]);
    // Nor any other file the stack writes (keys, stack description), the Lagos region's own excepted.
    const lagos = [
      join(stack.dataDir, "pglite-lagos"),
      join(stack.dataDir, "wrangler-lagos"),
      join(stack.dataDir, "logs", "worker-lagos.log"),
    ];
    expect(
      filesHolding(stack.dataDir, marker).filter((file) => !lagos.some((dir) => file.startsWith(dir))),
    ).toEqual([]);
  });
});
