import { errors, type Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, jsonBody, startHarness } from "./harness";

// The wire protocol with plain fetch: auth, encodings, the path form, error statuses, limits.

let h: Harness;
let redis: Redis;

beforeAll(async () => {
  h = await startHarness();
  redis = h.client();
});
afterAll(async () => {
  await h?.close();
});

const base64 = { "upstash-encoding": "base64" };
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("authentication", () => {
  const endpoints: [string, RequestInit][] = [
    ["/", jsonBody(["PING"])],
    ["/pipeline", jsonBody([["PING"]])],
    ["/multi-exec", jsonBody([["PING"]])],
    ["/ping", {}],
  ];

  it.each(endpoints)("rejects a wrong or missing token on %s with a JSON 401", async (path, init) => {
    for (const authorization of [
      "Bearer wrong-token",
      "",
      "Basic Zm9vOmJhcg==",
      `Bearer ${h.server.token}x`,
    ]) {
      const { status, body } = await h.call(path, { ...init, headers: { ...init.headers, authorization } });
      expect(status).toBe(401);
      expect(body).toEqual({ error: "Unauthorized" });
    }
  });

  it("rejects the client with a wrong token as an UpstashError", async () => {
    const intruder = h.client({ token: "not-the-token" });
    await expect(intruder.get(h.key("x"))).rejects.toThrow(errors.UpstashError);
    await expect(intruder.pipeline().get(h.key("x")).exec()).rejects.toThrow(/Unauthorized/);
    await expect(intruder.multi().get(h.key("x")).exec()).rejects.toThrow(/Unauthorized/);
  });

  it("accepts the token as a _token query parameter, as Upstash does", async () => {
    const response = await fetch(`${h.server.url}/ping?_token=${h.server.token}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ result: "PONG" });
  });

  it("serves /health without a token", async () => {
    const response = await fetch(`${h.server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});

describe("path form and encodings", () => {
  it("runs /cmd/arg/arg with GET, URL-decoding segments and keeping dots", async () => {
    const key = `${h.prefix}a/b/../c`;
    const path = `/set/${encodeURIComponent(key)}/${encodeURIComponent("hé llo 🚀")}`;
    expect(await h.call(path)).toEqual({ status: 200, body: { result: "OK" } });
    expect(await h.direct.get(key)).toBe("hé llo 🚀");
    expect(await h.call(`/get/${encodeURIComponent(key)}`)).toEqual({
      status: 200,
      body: { result: "hé llo 🚀" },
    });
  });

  it("appends a POST body and then query parameters to the path command", async () => {
    const key = h.key("posted");
    const value = '{"json": "as the value", "bytes": "🚀"}';
    const posted = await h.call(`/set/${key}?EX=100&NX`, { method: "POST", body: value });
    expect(posted).toEqual({ status: 200, body: { result: "OK" } });
    expect(await h.direct.get(key)).toBe(value);
    expect(await h.direct.ttl(key)).toBeGreaterThan(90);
    const again = await h.call(`/set/${key}?NX`, { method: "POST", body: "other" });
    expect(again.body).toEqual({ result: null });
  });

  it("encodes strings as base64 only when asked, never integers, nulls or a top-level OK", async () => {
    const list = h.key("enc:list");
    await h.direct.rpush(list, "OK", "SGVsbG8=", "✓");
    expect((await h.call(`/set/${h.key("enc")}/v`, { headers: base64 })).body).toEqual({ result: "OK" });
    expect((await h.call(`/get/${h.key("enc")}`, { headers: base64 })).body).toEqual({ result: b64("v") });
    expect((await h.call(`/lrange/${list}/0/-1`, { headers: base64 })).body).toEqual({
      // "OK" inside an array is encoded: the client base64-decodes every string in arrays.
      result: [b64("OK"), b64("SGVsbG8="), b64("✓")],
    });
    expect((await h.call(`/lrange/${list}/0/-1`)).body).toEqual({ result: ["OK", "SGVsbG8=", "✓"] });
    expect((await h.call(`/llen/${list}`, { headers: base64 })).body).toEqual({ result: 3 });
    expect((await h.call(`/get/${h.key("none")}`, { headers: base64 })).body).toEqual({ result: null });
    expect((await h.call("/", { ...jsonBody(["PING"]), headers: base64 })).body).toEqual({
      result: b64("PONG"),
    });
  });

  it("keeps binary values byte-exact in base64 mode", async () => {
    const key = h.key("binary");
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0xc3, 0x28]);
    await h.direct.set(key, bytes);
    expect((await h.call(`/get/${key}`, { headers: base64 })).body).toEqual({
      result: bytes.toString("base64"),
    });
  });

  it("refuses RESP2 response format, which is not implemented", async () => {
    const { status, body } = await h.call("/ping", { headers: { "upstash-response-format": "resp2" } });
    expect(status).toBe(400);
    expect(body).toEqual({ error: expect.stringContaining("resp2") });
  });
});

describe("errors", () => {
  it("answers Redis errors with a JSON 400 and the client throws UpstashError", async () => {
    const key = h.key("err:str");
    await redis.set(key, "text");
    const wrongType = await h.call("/", jsonBody(["HGET", key, "f"]));
    expect(wrongType).toEqual({ status: 400, body: { error: expect.stringMatching(/^WRONGTYPE/) } });
    const unknown = await h.call("/", jsonBody(["NOSUCHCOMMAND", "x"]));
    expect(unknown).toEqual({ status: 400, body: { error: expect.stringMatching(/^ERR unknown command/) } });
    const syntax = await h.call("/", jsonBody(["SET", key, "v", "EX", "not-a-number"]));
    expect(syntax).toEqual({ status: 400, body: { error: expect.stringMatching(/^ERR/) } });

    await expect(redis.hget(key, "f")).rejects.toThrow(errors.UpstashError);
    await expect(redis.hget(key, "f")).rejects.toThrow(/WRONGTYPE/);
  });

  it.each([
    ["SUBSCRIBE", "channel"],
    ["PSUBSCRIBE", "chan*"],
    ["MONITOR"],
    ["SYNC"],
    ["SHUTDOWN"],
    ["DEBUG", "SLEEP", "0"],
    ["CONFIG", "SET", "maxmemory", "1"],
    ["FLUSHALL"],
    ["FLUSHDB"],
    ["MULTI"],
    ["SELECT", "1"],
    ["CLIENT", "REPLY", "OFF"],
  ])("refuses %s with a clear 400", async (...command) => {
    const { status, body } = await h.call("/", jsonBody(command));
    expect(status).toBe(400);
    expect(body).toEqual({
      error: expect.stringMatching(/^ERR command '.+' is not supported by this REST server/),
    });
  });

  it("still allows CONFIG GET and PUBLISH", async () => {
    expect((await h.call("/", jsonBody(["CONFIG", "GET", "maxmemory"]))).status).toBe(200);
    expect(await h.call("/", jsonBody(["PUBLISH", h.key("chan"), "hi"]))).toEqual({
      status: 200,
      body: { result: 0 },
    });
  });

  it.each([
    ["not json", "{nope", /not valid JSON/],
    ["an object", '{"cmd":"GET"}', /invalid command/],
    ["an empty array", "[]", /invalid command/],
    ["a nested object argument", '["SET","k",{"a":1}]', /invalid command at \[2\]/],
    ["an empty body", "", /empty request body/],
  ])("answers %s on POST / with a JSON 400", async (_name, body, message) => {
    const result = await h.call("/", { method: "POST", body });
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: expect.stringMatching(message) });
  });

  it("answers malformed pipelines with a JSON 400", async () => {
    expect((await h.call("/pipeline", jsonBody([]))).status).toBe(400);
    expect((await h.call("/pipeline", jsonBody(["GET", "k"]))).status).toBe(400);
    expect((await h.call("/multi-exec", { method: "POST", body: "[[" })).status).toBe(400);
  });

  it("answers unsupported methods with a JSON 405", async () => {
    expect(await h.call("/get/x", { method: "DELETE" })).toEqual({
      status: 405,
      body: { error: expect.stringContaining("DELETE") },
    });
    expect((await h.call("/pipeline")).status).toBe(405);
  });

  it("refuses bodies over 1 MiB with a JSON 413 and keeps serving", async () => {
    const big = JSON.stringify(["SET", h.key("big"), "x".repeat(1024 * 1024)]);
    const result = await h.call("/", { method: "POST", body: big });
    expect(result).toEqual({ status: 413, body: { error: expect.stringContaining("byte limit") } });
    // Without a Content-Length the limit is enforced while streaming.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode("x".repeat(128 * 1024)));
        controller.close();
      },
    });
    const streamed = await h.call("/pipeline", {
      method: "POST",
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await h.direct.exists(h.key("big"))).toBe(0);
    expect(await redis.ping()).toBe("PONG");
  });
});

describe("blocking commands", () => {
  it("refuses a timeout of 0 and timeouts over the limit", async () => {
    expect((await h.call(`/blpop/${h.key("bl")}/0`)).status).toBe(400);
    expect((await h.call(`/blpop/${h.key("bl")}/60`)).status).toBe(400);
    expect((await h.call("/", jsonBody(["XREAD", "BLOCK", "0", "STREAMS", h.key("s"), "$"]))).status).toBe(
      400,
    );
  });

  it("waits on a dedicated connection without stalling other requests", async () => {
    const list = h.key("bl:list");
    const started = Date.now();
    // The client has no blpop(); its generic exec() sends any command to POST /.
    const waiting = redis.exec<[string, string] | null>(["BLPOP", list, "3"]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The shared connection is free while BLPOP waits.
    expect(await redis.set(h.key("bl:other"), "v")).toBe("OK");
    expect(Date.now() - started).toBeLessThan(1_000);
    await redis.rpush(list, "job-✓");
    expect(await waiting).toEqual([list, "job-✓"]);
  });

  it("returns null when the timeout passes", async () => {
    const started = Date.now();
    expect(await redis.exec(["BLPOP", h.key("bl:empty"), "0.3"])).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
