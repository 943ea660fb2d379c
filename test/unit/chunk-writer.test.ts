import { describe, expect, it } from "vitest";
import { ChunkWriter, type StreamChunk } from "../../workers/api/services/ai/chunk-writer";

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const chunk = (seq: number): StreamChunk => ({ seq, type: "text-delta", data: { delta: String(seq) } });

describe("ChunkWriter", () => {
  it("stores the chunks queued during a write together, and sends each only after it is stored, in order", async () => {
    const stored: number[][] = [];
    const sent: number[] = [];
    const writer = new ChunkWriter(
      async (batch) => {
        await tick(10);
        stored.push(batch.map((c) => c.seq));
      },
      (c) => {
        // Never sent before it is stored.
        expect(stored.flat()).toContain(c.seq);
        sent.push(c.seq);
      },
    );
    await writer.push(chunk(1));
    for (let seq = 2; seq <= 6; seq++) await writer.push(chunk(seq));
    await writer.flush();
    expect(stored).toEqual([[1], [2, 3, 4, 5, 6]]);
    expect(sent).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("sends nothing after a failed write, and push and flush throw", async () => {
    const sent: number[] = [];
    let calls = 0;
    const writer = new ChunkWriter(
      async () => {
        calls++;
        await tick(5);
        if (calls === 2) throw new Error("database gone");
      },
      (c) => sent.push(c.seq),
    );
    await writer.push(chunk(1));
    await tick(10);
    await writer.push(chunk(2));
    await writer.push(chunk(3));
    await expect(writer.flush()).rejects.toThrow("database gone");
    await expect(writer.push(chunk(4))).rejects.toThrow("database gone");
    expect(sent).toEqual([1]);
  });

  it("waits for the database once too many chunks are unwritten", async () => {
    let release: () => void = () => {};
    const writer = new ChunkWriter(
      () => new Promise<void>((resolve) => (release = resolve)),
      () => {},
      3,
    );
    await writer.push(chunk(1)); // being written
    await writer.push(chunk(2));
    await writer.push(chunk(3));
    let fourth = false;
    const pushing = writer.push(chunk(4)).then(() => (fourth = true));
    await tick(5);
    expect(fourth).toBe(false); // three unwritten: waits
    release(); // chunk 1 stored; chunks 2–4 now being written
    await tick(5);
    expect(fourth).toBe(false);
    release();
    await pushing;
    expect(fourth).toBe(true);
  });
});
