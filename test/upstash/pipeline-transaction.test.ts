import { errors, type Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, jsonBody, startHarness } from "./harness";

// /pipeline and /multi-exec through the real client (redis.pipeline(), redis.multi(), auto-pipelining)
// and through plain fetch for the cases the client cannot produce (a discarded transaction).

let h: Harness;
let redis: Redis;

beforeAll(async () => {
  h = await startHarness();
  redis = h.client();
});
afterAll(async () => {
  await h?.close();
});

describe("pipeline", () => {
  it("returns every command's result in order, with types", async () => {
    const [a, z] = [h.key("p:a"), h.key("p:z")];
    const results = await redis
      .pipeline()
      .set(a, "🚀 SGVsbG8=")
      .get(a)
      .incr(h.key("p:n"))
      .zadd(z, { score: 2.5, member: "m" })
      .zrange(z, 0, -1, { withScores: true })
      .get(h.key("p:missing"))
      .hset(h.key("p:h"), { f: "OK" })
      .hgetall(h.key("p:h"))
      .exec();
    expect(results).toEqual(["OK", "🚀 SGVsbG8=", 1, 1, ["m", 2.5], null, 1, { f: "OK" }]);
  });

  it("throws an UpstashError naming the failed command, or keeps errors per entry", async () => {
    const key = h.key("p:str");
    await redis.set(key, "text");
    const failing = redis.pipeline().get(key).hget(key, "f").incr(h.key("p:after"));
    await expect(failing.exec()).rejects.toThrow(errors.UpstashError);
    await expect(redis.pipeline().hget(key, "f").exec()).rejects.toThrow(
      /Command 1 \[ hget \] failed: WRONGTYPE/,
    );

    const kept = await redis
      .pipeline()
      .get(key)
      .hget(key, "f")
      .incr(h.key("p:after2"))
      .exec({ keepErrors: true });
    expect(kept[0]).toEqual({ result: "text", error: undefined });
    expect(kept[1]?.error).toMatch(/^WRONGTYPE/);
    // Not atomic, not stopped: the command after the failure ran.
    expect(kept[2]).toEqual({ result: 1, error: undefined });
  });

  it("batches concurrent calls with auto-pipelining", async () => {
    const auto = h.client({ enableAutoPipelining: true });
    const keys = Array.from({ length: 20 }, (_, i) => h.key(`auto:${i}`));
    await Promise.all(keys.map((key, i) => auto.set(key, `value-${i}-✓`)));
    const values = await Promise.all(keys.map((key) => auto.get(key)));
    expect(values).toEqual(keys.map((_, i) => `value-${i}-✓`));
    // 40 commands went out in a handful of /pipeline requests, not 40 requests.
    expect((auto as unknown as { pipelineCounter: number }).pipelineCounter).toBeLessThan(10);
  });

  it("gives refused commands their own error entry", async () => {
    const { status, body } = await h.call(
      "/pipeline",
      jsonBody([
        ["SET", h.key("p:r"), "1"],
        ["SUBSCRIBE", "channel"],
        ["BLPOP", h.key("p:list"), "1"],
        ["GET", h.key("p:r")],
      ]),
    );
    expect(status).toBe(200);
    expect(body).toEqual([
      { result: "OK" },
      { error: expect.stringMatching(/^ERR command 'subscribe' is not supported/) },
      { error: expect.stringMatching(/^ERR blocking 'BLPOP' is not supported in \/pipeline/) },
      { result: "1" },
    ]);
  });
});

describe("multi-exec", () => {
  it("runs a transaction and returns typed results", async () => {
    const key = h.key("m:k");
    const results = await redis.multi().set(key, 1).incr(key).get(key).lpush(h.key("m:l"), "x").exec();
    expect(results).toEqual(["OK", 2, 2, 1]);
  });

  it("applies the other commands when one fails at run time, as Redis does", async () => {
    const key = h.key("m:str");
    await redis.set(key, "text");
    const tx = redis.multi().set(h.key("m:before"), "b").hget(key, "f").set(h.key("m:after"), "a");
    const results = await tx.exec({ keepErrors: true });
    expect(results[1]?.error).toMatch(/^WRONGTYPE/);
    expect(await h.direct.mget(h.key("m:before"), h.key("m:after"))).toEqual(["b", "a"]);
    await expect(redis.multi().hget(key, "f").exec()).rejects.toThrow(errors.UpstashError);
  });

  it("discards the whole transaction on a queue-time error: nothing is applied", async () => {
    const key = h.key("m:discarded");
    const unknown = await h.call("/multi-exec", jsonBody([["SET", key, "1"], ["NOSUCHCOMMAND"]]));
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ error: expect.stringMatching(/^EXECABORT .*unknown command/) });

    const arity = await h.call("/multi-exec", jsonBody([["SET", key, "1"], ["GET"]]));
    expect(arity.status).toBe(400);

    const refused = await h.call("/multi-exec", jsonBody([["SET", key, "1"], ["FLUSHALL"]]));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: expect.stringMatching(/flushall.*transaction discarded/) });

    expect(await h.direct.exists(key)).toBe(0);
  });

  it("is atomic: concurrent readers never see half a transaction", async () => {
    const [a, b] = [h.key("m:a"), h.key("m:b")];
    await redis.mset({ [a]: 0, [b]: 0 });
    const writers = Array.from({ length: 30 }, () => redis.multi().incr(a).incr(b).exec());
    const readers = Array.from({ length: 30 }, () => redis.multi().get<number>(a).get<number>(b).exec());
    const snapshots = await Promise.all(readers);
    await Promise.all(writers);
    for (const [x, y] of snapshots) expect(x).toBe(y);
    expect(await redis.mget(a, b)).toEqual([30, 30]);
  });
});
