import type { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./harness";

// The real @upstash/redis client (base64 responses, its default) against the server over real
// Redis: every value must come back exactly as stored, with its JSON type.

let h: Harness;
let redis: Redis;
let raw: Redis;

beforeAll(async () => {
  h = await startHarness();
  redis = h.client();
  raw = h.client({ automaticDeserialization: false });
});
afterAll(async () => {
  await h?.close();
});

const tricky = [
  "héllo wörld — 你好 🚀👩‍👩‍👧‍👦",
  "SGVsbG8=",
  "aGVsbG8gd29ybGQ=",
  "T0s=",
  "OK",
  "",
  "line\nbreak\ttab\u0000nul",
  "x".repeat(200_000),
];

describe("strings", () => {
  it.each(tricky.map((value, i) => [i, value]))(
    "round-trips tricky string #%i byte for byte",
    async (i, value) => {
      const key = h.key(`str:${i}`);
      expect(await raw.set(key, value)).toBe("OK");
      expect(await raw.get(key)).toBe(value);
      // What the client stored is what Redis holds: no double encoding on the way in.
      expect(await h.direct.get(key)).toBe(value);
    },
  );

  it("parses JSON-looking strings only when automaticDeserialization is on", async () => {
    const key = h.key("json");
    await redis.set(key, { a: 1, nested: ["x", null], emoji: "🚀" });
    expect(await h.direct.get(key)).toBe('{"a":1,"nested":["x",null],"emoji":"🚀"}');
    expect(await redis.get(key)).toEqual({ a: 1, nested: ["x", null], emoji: "🚀" });
    expect(await raw.get(key)).toBe('{"a":1,"nested":["x",null],"emoji":"🚀"}');

    const text = h.key("json-text");
    await raw.set(text, '["not", "parsed"]');
    expect(await raw.get(text)).toBe('["not", "parsed"]');
    expect(await redis.get(text)).toEqual(["not", "parsed"]);
  });

  it("returns integers as numbers and numeric strings according to deserialization", async () => {
    const key = h.key("num");
    await redis.set(key, 42);
    expect(await redis.get(key)).toBe(42);
    expect(await raw.get(key)).toBe("42");
    expect(await redis.incr(key)).toBe(43);
    expect(await raw.incrby(key, 7)).toBe(50);
    expect(await redis.incrbyfloat(key, 0.5)).toBe(50.5);
    expect(await raw.decr(h.key("fresh-counter"))).toBe(-1);
  });

  it("returns null for missing keys, fields and list slots", async () => {
    expect(await redis.get(h.key("missing"))).toBeNull();
    expect(await raw.get(h.key("missing"))).toBeNull();
    await redis.set(h.key("present"), "here");
    expect(await raw.mget(h.key("present"), h.key("missing"))).toEqual(["here", null]);
    expect(await redis.hget(h.key("missing-hash"), "f")).toBeNull();
    expect(await redis.lindex(h.key("missing-list"), 0)).toBeNull();
  });

  it("applies set options: nx, xx, get, ex, px and keepTtl", async () => {
    const key = h.key("opts");
    expect(await redis.set(key, "v1", { xx: true })).toBeNull();
    expect(await redis.set(key, "v1", { nx: true, ex: 100 })).toBe("OK");
    expect(await redis.set(key, "v2", { nx: true })).toBeNull();
    expect(await redis.set(key, "v3", { xx: true, get: true })).toBe("v1");
    expect(await redis.ttl(key)).toBe(-1);
    await redis.set(key, "v4", { ex: 100 });
    await redis.set(key, "v5", { keepTtl: true });
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await raw.get(key)).toBe("v5");
  });
});

describe("expiry", () => {
  it("reports TTLs and expires keys", async () => {
    const key = h.key("ttl");
    expect(await redis.ttl(key)).toBe(-2);
    await redis.set(key, "v", { ex: 60 });
    expect(await redis.ttl(key)).toBeGreaterThan(55);
    expect(await redis.pexpire(key, 5_000)).toBe(1);
    const pttl = await redis.pttl(key);
    expect(pttl).toBeGreaterThan(4_000);
    expect(pttl).toBeLessThanOrEqual(5_000);
    expect(await redis.persist(key)).toBe(1);
    expect(await redis.ttl(key)).toBe(-1);

    const short = h.key("short");
    await redis.set(short, "gone soon", { px: 50 });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await redis.get(short)).toBeNull();
    expect(await redis.exists(short)).toBe(0);
  });
});

describe("collections", () => {
  it("hashes: hset, hget, hgetall, hincrby", async () => {
    const key = h.key("hash");
    expect(await redis.hset(key, { name: "Ada 👩‍🔬", visits: 3, meta: { tier: "pro" } })).toBe(3);
    expect(await redis.hget(key, "name")).toBe("Ada 👩‍🔬");
    expect(await redis.hgetall(key)).toEqual({ name: "Ada 👩‍🔬", visits: 3, meta: { tier: "pro" } });
    // Without deserialization the client hands back Redis's own flat RESP2 field/value array.
    expect(await raw.hgetall(key)).toEqual(["name", "Ada 👩‍🔬", "visits", "3", "meta", '{"tier":"pro"}']);
    expect(await redis.hincrby(key, "visits", 2)).toBe(5);
    expect(await redis.hlen(key)).toBe(3);
    expect(await redis.hgetall(h.key("no-hash"))).toBeNull();
  });

  it("sets: sadd, smembers, sismember, scard", async () => {
    const key = h.key("set");
    expect(await redis.sadd(key, "a", "b", "ç", "a")).toBe(3);
    expect((await raw.smembers(key)).sort()).toEqual(["a", "b", "ç"]);
    expect(await redis.sismember(key, "ç")).toBe(1);
    expect(await redis.sismember(key, "z")).toBe(0);
    expect(await redis.scard(key)).toBe(3);
  });

  it("sorted sets: scores survive as numbers", async () => {
    const key = h.key("zset");
    expect(
      await redis.zadd(
        key,
        { score: 1.5, member: "a" },
        { score: 2, member: "b" },
        { score: -3, member: "c" },
      ),
    ).toBe(3);
    expect(await redis.zrange(key, 0, -1, { withScores: true })).toEqual(["c", -3, "a", 1.5, "b", 2]);
    expect(await redis.zscore(key, "a")).toBe(1.5);
    expect(await redis.zrank(key, "b")).toBe(2);
    expect(await redis.zincrby(key, 0.25, "a")).toBe(1.75);
    expect(await redis.zscore(key, "missing")).toBeNull();
    expect(await redis.zcard(key)).toBe(3);
  });

  it("lists: push, range, pop, len", async () => {
    const key = h.key("list");
    expect(await redis.rpush(key, "one", "two", "🚀")).toBe(3);
    expect(await redis.lpush(key, "zero")).toBe(4);
    expect(await raw.lrange(key, 0, -1)).toEqual(["zero", "one", "two", "🚀"]);
    expect(await redis.lpop(key)).toBe("zero");
    expect(await redis.rpop(key)).toBe("🚀");
    expect(await redis.llen(key)).toBe(2);
    expect(await redis.lrange(h.key("no-list"), 0, -1)).toEqual([]);
  });
});
