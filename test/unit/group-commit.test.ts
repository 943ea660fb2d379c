import { describe, expect, it } from "vitest";
import { GroupCommit, pollSlot, Slot } from "../../workers/api/lib/group-commit";

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("GroupCommit", () => {
  it("writes a lone call at once, and the calls that queue behind a write together", async () => {
    const batches: number[][] = [];
    const commit = new GroupCommit<number, number>(async (_key, items) => {
      batches.push([...items]);
      await tick(20);
      return items.map((n) => n * 10);
    });
    const first = commit.call("t", 1);
    await tick(5); // the first batch is being written
    const rest = Promise.all([2, 3, 4, 5].map((n) => commit.call("t", n)));
    expect(await first).toBe(10);
    expect(await rest).toEqual([20, 30, 40, 50]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
    expect(commit.size).toBe(0);
  });

  it("keeps keys apart and bounds a batch", async () => {
    const batches: string[][] = [];
    const commit = new GroupCommit<string, string>(async (key, items) => {
      batches.push(items.map((i) => `${key}:${i}`));
      await tick(10);
      return [...items];
    }, 2);
    const blocker = commit.call("a", "0");
    await tick(2);
    await Promise.all([
      commit.call("a", "1"),
      commit.call("a", "2"),
      commit.call("a", "3"),
      commit.call("b", "x"),
    ]);
    await blocker;
    expect(batches).toContainEqual(["b:x"]);
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(2);
    expect(batches.flat().sort()).toEqual(["a:0", "a:1", "a:2", "a:3", "b:x"]);
  });

  it("retries a failed batch item by item: one bad item fails alone", async () => {
    const commit = new GroupCommit<number, number>(async (_key, items) => {
      await tick(5);
      if (items.includes(13)) throw new Error("unlucky");
      return [...items];
    });
    const first = commit.call("t", 1);
    await tick(1);
    const results = await Promise.allSettled([12, 13, 14].map((n) => commit.call("t", n)));
    expect(await first).toBe(1);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });
});

describe("Slot", () => {
  it("is read by polling; a rejection is thrown to the reader", async () => {
    const ok = new Slot<string>();
    setTimeout(() => ok.resolve("done"), 10);
    expect(await pollSlot(ok)).toBe("done");
    const bad = new Slot<string>();
    setTimeout(() => bad.reject(new Error("failed")), 5);
    await expect(pollSlot(bad)).rejects.toThrow("failed");
    await expect(pollSlot(new Slot<string>(), 20)).rejects.toThrow("waited 20 ms");
  });
});
