import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

/**
 * A bare WebSocket client for the fan-out benchmark's receiving side (RFC 6455, text frames, no
 * extensions). The `ws` package spends ~50 µs of this one process's CPU per received frame
 * (stream plumbing, events, buffers), so 1,000 receipts took ~50 ms of the load generator's own
 * time and the figure measured the receiver as much as the platform. Here a frame costs one
 * header read: the arrival time is taken as the bytes come off the socket, before any parsing.
 */
export class RawWebSocket {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  /** Frames that came before a handler was set (the server's first frame often rides with the 101). */
  #early: [Buffer, number][] = [];
  #onFrame: (payload: Buffer, arrivedAt: number) => void = (payload, at) => this.#early.push([payload, at]);

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Opens `url` (ws://host:port/path?query) with these extra request headers; resolves on the 101. */
  static open(url: string, headers: Record<string, string> = {}): Promise<RawWebSocket> {
    const target = new URL(url);
    if (target.protocol !== "ws:") throw new Error(`RawWebSocket speaks ws:// only, got ${url}`);
    const key = randomBytes(16).toString("base64");
    const lines = [
      `GET ${target.pathname}${target.search} HTTP/1.1`,
      `Host: ${target.host}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${key}`,
      "Sec-WebSocket-Version: 13",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.hostname, port: Number(target.port || 80), noDelay: true });
      const client = new RawWebSocket(socket);
      let head = Buffer.alloc(0);
      const onHandshake = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end === -1) return;
        socket.off("data", onHandshake);
        const status = head.subarray(0, head.indexOf("\r\n")).toString();
        if (!status.startsWith("HTTP/1.1 101")) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${head.subarray(0, end).toString()}`));
          return;
        }
        socket.on("data", (data: Buffer) => client.#receive(data, performance.now()));
        resolve(client);
        const rest = head.subarray(end + 4);
        if (rest.length > 0) client.#receive(rest, performance.now());
      };
      socket.on("data", onHandshake);
      socket.once("error", reject);
      socket.once("connect", () => socket.write(`${lines.join("\r\n")}\r\n\r\n`));
    });
  }

  /** Called for every complete data frame (text or binary), with when its last bytes arrived. */
  onFrame(handler: (payload: Buffer, arrivedAt: number) => void): void {
    this.#onFrame = handler;
    for (const [payload, at] of this.#early.splice(0)) handler(payload, at);
  }

  /** Sends one text frame (masked, as a client must). */
  send(text: string): void {
    const payload = Buffer.from(text);
    const length = payload.length;
    if (length >= 65536) throw new Error("bench frames stay under 64 KiB");
    const header =
      length < 126
        ? Buffer.from([0x81, 0x80 | length])
        : Buffer.from([0x81, 0x80 | 126, length >> 8, length & 255]);
    const mask = randomBytes(4);
    for (let i = 0; i < length; i++) payload[i] = (payload[i] as number) ^ (mask[i & 3] as number);
    this.#socket.write(Buffer.concat([header, mask, payload]));
  }

  terminate(): void {
    this.#socket.destroy();
  }

  #receive(data: Buffer, arrivedAt: number): void {
    this.#buffer = this.#buffer.length === 0 ? data : Buffer.concat([this.#buffer, data]);
    for (;;) {
      const frame = this.#nextFrame();
      if (!frame) return;
      const { opcode, payload } = frame;
      if (opcode === 0x1 || opcode === 0x2) this.#onFrame(payload, arrivedAt);
      else if (opcode === 0x8) this.#socket.end();
      else if (opcode === 0x9) this.#control(0xa, payload);
    }
  }

  /** Takes one whole frame off the buffer, or undefined while it is still arriving. */
  #nextFrame(): { opcode: number; payload: Buffer } | undefined {
    const buffer = this.#buffer;
    if (buffer.length < 2) return undefined;
    const opcode = (buffer[0] as number) & 0x0f;
    let length = (buffer[1] as number) & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buffer.length < 4) return undefined;
      length = buffer.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buffer.length < 10) return undefined;
      length = Number(buffer.readBigUInt64BE(2));
      offset = 10;
    }
    if (buffer.length < offset + length) return undefined;
    const payload = buffer.subarray(offset, offset + length);
    this.#buffer = buffer.subarray(offset + length);
    return { opcode, payload };
  }

  #control(opcode: number, payload: Buffer): void {
    const mask = randomBytes(4);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i & 3] as number)));
    this.#socket.write(Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | masked.length]), mask, masked]));
  }
}
