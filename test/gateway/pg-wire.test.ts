import { describe, expect, it } from "vitest";
import { AsyncMutex, LockTimeoutError } from "../../regions/sql-gateway/async-mutex";
import {
  buildStartupMessage,
  MessageFramer,
  PROTOCOL_3_0,
  queryMessage,
  readStartupParameters,
  SSL_REQUEST_CODE,
  syncMessage,
  terminateMessage,
  WireProtocolError,
} from "../../regions/sql-gateway/pg-wire";

// The small pieces the WebSocket relay relies on, checked without any database.

const startup = buildStartupMessage(
  PROTOCOL_3_0,
  new Map([
    ["user", "app_user"],
    ["database", "app"],
  ]),
);

describe("MessageFramer", () => {
  it("reassembles messages split at every possible byte", () => {
    const stream = Buffer.concat([startup, queryMessage("select 1"), syncMessage(), terminateMessage()]);
    for (let cut = 1; cut < stream.length; cut++) {
      const framer = new MessageFramer("frontend");
      const messages = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
      expect(messages.map((message) => message.type)).toEqual([null, 0x51, 0x53, 0x58]);
      expect(Buffer.concat(messages.map((message) => message.bytes))).toEqual(stream);
    }
  });

  it("keeps the startup phase untyped until the StartupMessage", () => {
    const sslRequest = Buffer.alloc(8);
    sslRequest.writeInt32BE(8, 0);
    sslRequest.writeInt32BE(SSL_REQUEST_CODE, 4);
    const framer = new MessageFramer("frontend");
    const messages = framer.push(Buffer.concat([sslRequest, startup, queryMessage("select 1")]));
    expect(messages.map((message) => message.type)).toEqual([null, null, 0x51]);
  });

  it("rejects impossible lengths", () => {
    const framer = new MessageFramer("backend");
    expect(() => framer.push(Buffer.from([0x5a, 0, 0, 0, 1]))).toThrow(WireProtocolError);
  });

  it("reads and rebuilds startup parameters", () => {
    const parameters = readStartupParameters({ type: null, bytes: startup });
    expect(Object.fromEntries(parameters)).toEqual({ user: "app_user", database: "app" });
    parameters.set("statement_timeout", "1000");
    const rebuilt = buildStartupMessage(PROTOCOL_3_0, parameters);
    expect(readStartupParameters({ type: null, bytes: rebuilt }).get("statement_timeout")).toBe("1000");
    expect(rebuilt.readInt32BE(0)).toBe(rebuilt.length);
  });
});

describe("AsyncMutex", () => {
  it("grants in order and times out waiters", async () => {
    const mutex = new AsyncMutex();
    const order: string[] = [];
    const release = await mutex.acquire(100);
    const second = mutex.acquire(1_000).then((next) => {
      order.push("second");
      return next;
    });
    const third = mutex.acquire(1_000).then((next) => {
      order.push("third");
      next();
    });
    await expect(mutex.acquire(20)).rejects.toBeInstanceOf(LockTimeoutError);
    release();
    (await second)();
    await third;
    expect(order).toEqual(["second", "third"]);
    expect(mutex.isHeld).toBe(false);
  });

  it("gives up a place in the queue on abort", async () => {
    const mutex = new AsyncMutex();
    const release = await mutex.acquire(100);
    const controller = new AbortController();
    const waiting = mutex.acquire(1_000, controller.signal);
    controller.abort(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
    release();
    expect(mutex.isHeld).toBe(false);
  });
});
