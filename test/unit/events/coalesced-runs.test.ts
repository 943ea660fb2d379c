import { describe, expect, it } from "vitest";
import { CoalescedRuns } from "../../../workers/api/events/coalesced-runs";

/** A run that ends when told to, recording when it started. */
function controlledWork(log: string[], name: string) {
  let finish = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    work: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
    },
    finish: () => finish(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Whether `promise` settles within `ms`. */
const settlesWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);

describe("CoalescedRuns", () => {
  it("runs at once, in the caller's own call, when nothing runs for the key", async () => {
    const runs = new CoalescedRuns();
    const log: string[] = [];
    const a = controlledWork(log, "a");
    const done = runs.run("t", a.work);
    expect(log).toEqual(["start a"]);
    a.finish();
    await done;
    expect(log).toEqual(["start a", "end a"]);
    expect(runs.size).toBe(0);
  });

  it("callers asking during a run share one next run, started only after the first ends", async () => {
    const runs = new CoalescedRuns();
    const log: string[] = [];
    const a = controlledWork(log, "a");
    const b = controlledWork(log, "b");
    const c = controlledWork(log, "c");
    const first = runs.run("t", a.work);
    const second = runs.run("t", b.work);
    const third = runs.run("t", c.work);
    await sleep(30);
    expect(log).toEqual(["start a"]);
    expect(await settlesWithin(second, 5)).toBe(false);
    a.finish();
    await first;
    await sleep(30);
    // One of the waiters ran its own work, after the first ended: it covers both of them.
    expect(log.slice(0, 3)).toEqual(["start a", "end a", log[2]]);
    expect(["start b", "start c"]).toContain(log[2]);
    expect(log).toHaveLength(3);
    b.finish();
    c.finish();
    await Promise.all([second, third]);
    expect(log.filter((l) => l.startsWith("start"))).toHaveLength(2);
    expect(runs.size).toBe(0);
  });

  it("asking while the next run runs needs another (a commit during a run is never missed)", async () => {
    const runs = new CoalescedRuns();
    const log: string[] = [];
    const a = controlledWork(log, "a");
    const b = controlledWork(log, "b");
    const c = controlledWork(log, "c");
    void runs.run("t", a.work);
    const second = runs.run("t", b.work);
    a.finish();
    await sleep(30);
    expect(log.at(-1)).toBe("start b");
    const third = runs.run("t", c.work);
    b.finish();
    await second;
    expect(await settlesWithin(third, 20)).toBe(false);
    expect(log.at(-1)).toBe("start c");
    c.finish();
    await third;
    expect(runs.size).toBe(0);
  });

  it("keeps keys apart, and a failed run neither rejects its callers nor blocks the next", async () => {
    const runs = new CoalescedRuns();
    const log: string[] = [];
    const other = controlledWork(log, "other");
    void runs.run("u", other.work);
    await expect(runs.run("t", () => Promise.reject(new Error("sink down")))).resolves.toBeUndefined();
    const after = controlledWork(log, "after");
    const next = runs.run("t", after.work);
    expect(log).toEqual(["start other", "start after"]);
    after.finish();
    other.finish();
    await next;
  });

  it("takes over a run that never ends (its request's context gone) once it is stale", async () => {
    const runs = new CoalescedRuns(40);
    const log: string[] = [];
    const lost = controlledWork(log, "lost");
    void runs.run("t", lost.work);
    const b = controlledWork(log, "b");
    const waiting = runs.run("t", b.work);
    await sleep(80);
    expect(log).toEqual(["start lost", "start b"]);
    b.finish();
    await waiting;
    // The lost run ending late does not clear the key under a newer run.
    const c = controlledWork(log, "c");
    const third = runs.run("t", c.work);
    lost.finish();
    await sleep(10);
    const d = controlledWork(log, "d");
    const fourth = runs.run("t", d.work);
    expect(log.at(-1)).not.toBe("start d");
    c.finish();
    await third;
    d.finish();
    await fourth;
  });

  it("a waiter gives up after its longest wait, without failing", async () => {
    const runs = new CoalescedRuns(10_000, 30);
    const log: string[] = [];
    const stuck = controlledWork(log, "stuck");
    void runs.run("t", stuck.work);
    await expect(
      runs.run("t", async () => {
        log.push("never");
      }),
    ).resolves.toBeUndefined();
    expect(log).toEqual(["start stuck"]);
    stuck.finish();
  });
});
