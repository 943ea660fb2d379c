import { describe, expect, it } from "vitest";
import { presentedToken, tokenChecker } from "../../regions/upstash-rest/auth";
import { blockingTimeoutMs, refusalReason } from "../../regions/upstash-rest/command-policy";
import { encodeResult, responseEncoding } from "../../regions/upstash-rest/encoding";
import { commandSchema, parsePathCommand } from "../../regions/upstash-rest/request-parsing";

// Pure functions of the protocol, no Redis needed.

describe("encodeResult", () => {
  const ok = Buffer.from("OK");
  it("base64-encodes every string but a top-level OK, keeping numbers, nulls and nesting", () => {
    expect(encodeResult(ok, "base64")).toBe("OK");
    expect(encodeResult(Buffer.from("PONG"), "base64")).toBe("UE9ORw==");
    expect(encodeResult([ok, 1, null, [Buffer.from("é"), [ok]]], "base64")).toEqual([
      "T0s=",
      1,
      null,
      ["w6k=", ["T0s="]],
    ]);
    expect(encodeResult(new Error("ERR nested"), "base64")).toBe(
      Buffer.from("ERR nested").toString("base64"),
    );
  });

  it("sends UTF-8 text without the header", () => {
    expect(encodeResult([ok, Buffer.from("🚀"), 7n], "utf8")).toEqual(["OK", "🚀", 7]);
    expect(encodeResult(Buffer.from([0xff]), "utf8")).toBe("\ufffd");
  });

  it("reads the header case-insensitively", () => {
    expect(responseEncoding("Base64")).toBe("base64");
    expect(responseEncoding(undefined)).toBe("utf8");
    expect(responseEncoding("json")).toBe("utf8");
  });
});

describe("command policy", () => {
  it("refuses connection-state, pub/sub and admin commands, case-insensitively", () => {
    for (const command of [
      ["subscribe", "c"],
      ["MONITOR"],
      ["Multi"],
      ["config", "set", "x", "y"],
      ["acl", "SETUSER"],
    ]) {
      expect(refusalReason(command)).toMatch(/^ERR command/);
    }
    for (const command of [
      ["GET", "k"],
      ["config", "get", "maxmemory"],
      ["acl", "whoami"],
      ["publish", "c", "m"],
    ]) {
      expect(refusalReason(command)).toBeUndefined();
    }
  });

  it("finds blocking timeouts in milliseconds", () => {
    expect(blockingTimeoutMs(["BLPOP", "a", "b", "1.5"])).toBe(1_500);
    expect(blockingTimeoutMs(["blmpop", "2", "1", "k", "LEFT"])).toBe(2_000);
    expect(blockingTimeoutMs(["XREAD", "COUNT", "1", "block", "250", "STREAMS", "s", "$"])).toBe(250);
    expect(blockingTimeoutMs(["XREAD", "STREAMS", "s", "0"])).toBeUndefined();
    expect(blockingTimeoutMs(["WAIT", "1", "0"])).toBe(0);
    expect(blockingTimeoutMs(["BRPOP", "k", "nope"])).toBeUndefined();
    expect(blockingTimeoutMs(["GET", "k"])).toBeUndefined();
  });
});

describe("request parsing", () => {
  it("stringifies numbers and booleans and requires a command name", () => {
    expect(commandSchema.parse(["SET", "k", 1.5, true])).toEqual(["SET", "k", "1.5", "true"]);
    expect(commandSchema.safeParse([""]).success).toBe(false);
    expect(commandSchema.safeParse([1, "k"]).success).toBe(false);
    expect(commandSchema.safeParse(["SET", "k", null]).success).toBe(false);
  });

  it("parses the path form: decoded segments, then body, then query pairs without _token", () => {
    const query = new URLSearchParams("EX=100&NX&_token=secret");
    expect(parsePathCommand("/set/a%2Fb/..", query, Buffer.from("v"))).toEqual([
      "set",
      "a/b",
      "..",
      "v",
      "EX",
      "100",
      "NX",
    ]);
    expect(() => parsePathCommand("/get/%E0%A4%A", new URLSearchParams(), Buffer.alloc(0))).toThrow(
      /percent/,
    );
  });
});

describe("auth", () => {
  it("accepts only the exact bearer token", () => {
    const check = tokenChecker("s3cret");
    expect(check(presentedToken("Bearer s3cret", null))).toBe(true);
    expect(check(presentedToken("bearer s3cret", null))).toBe(true);
    expect(check(presentedToken(undefined, "s3cret"))).toBe(true);
    expect(check(presentedToken("Bearer s3cre", null))).toBe(false);
    expect(check(presentedToken("s3cret", null))).toBe(false);
    expect(check(presentedToken(undefined, null))).toBe(false);
  });
});
