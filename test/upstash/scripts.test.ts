import { errors, type Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./harness";

// EVAL / EVALSHA / SCRIPT LOAD as rate-limit libraries use them (EVALSHA first, EVAL on NOSCRIPT).

let h: Harness;
let redis: Redis;

beforeAll(async () => {
  h = await startHarness();
  redis = h.client();
});
afterAll(async () => {
  await h?.close();
});

describe("scripts", () => {
  it("eval returns nested arrays with integers, strings, nulls and status replies intact", async () => {
    const script = `return {1, 'two 🚀', {3, 'T0s=', {'deep'}}, redis.status_reply('OK'), false, ARGV[1], KEYS[1]}`;
    const result = await redis.eval(script, [h.key("k")], ["arg ✓"]);
    // Lua false becomes a Redis nil; nils inside a table end it, so `false` is the last element here.
    expect(result).toEqual([1, "two 🚀", [3, "T0s=", ["deep"]], "OK", null, "arg ✓", h.key("k")]);
  });

  it("script load + evalsha, and NOSCRIPT as an UpstashError for unknown shas", async () => {
    const script = `-- ${h.prefix}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`;
    const sha = await redis.scriptLoad(script);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await redis.evalsha(sha, [h.key("counter")], [5])).toBe(5);
    expect(await redis.evalsha(sha, [h.key("counter")], [5])).toBe(10);
    expect(await redis.scriptExists(sha)).toEqual([1]);
    await expect(redis.evalsha("0".repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it("createScript falls back from EVALSHA to EVAL, like @upstash/ratelimit", async () => {
    // A script text unique to this run, so Redis cannot have it cached yet.
    const limiter = redis.createScript<[number, number]>(
      `-- ${h.prefix} fixed window\nlocal n = redis.call('INCR', KEYS[1])\nif n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end\nreturn {n, redis.call('PTTL', KEYS[1])}`,
    );
    const [first, ttl] = await limiter.exec([h.key("rl")], ["60000"]);
    expect(first).toBe(1);
    expect(ttl).toBeGreaterThan(59_000);
    const [second] = await limiter.exec([h.key("rl")], ["60000"]);
    expect(second).toBe(2);
  });

  it("surfaces script errors as UpstashError", async () => {
    await expect(redis.eval("return redis.error_reply('limit exceeded')", [], [])).rejects.toThrow(
      errors.UpstashError,
    );
    await expect(redis.eval("return redis.error_reply('limit exceeded')", [], [])).rejects.toThrow(
      /limit exceeded/,
    );
    await expect(redis.eval("this is not lua", [], [])).rejects.toThrow(/ERR/);
  });
});
