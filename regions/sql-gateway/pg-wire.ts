// Just enough of the Postgres wire protocol (v3) for the WebSocket relay: cutting a byte stream
// into messages, reading and rewriting the startup message, and building the few messages the
// gateway sends itself. Everything else passes through as opaque bytes.

export const PROTOCOL_3_0 = 196_608;
export const SSL_REQUEST_CODE = 80_877_103;
export const GSSENC_REQUEST_CODE = 80_877_104;
export const CANCEL_REQUEST_CODE = 80_877_102;

/** Postgres' own cap on a message (PQ_LARGE_MESSAGE_LIMIT is 1 GiB); anything longer is garbage. */
const MAX_MESSAGE_BYTES = 1024 * 1024 * 1024;

export const MessageType = {
  query: 0x51, // Q
  sync: 0x53, // S
  terminate: 0x58, // X
  functionCall: 0x46, // F
  parse: 0x50, // P
  bind: 0x42, // B
  execute: 0x45, // E (frontend)
  describe: 0x44, // D (frontend)
  close: 0x43, // C (frontend)
  flush: 0x48, // H
  copyData: 0x64, // d
  copyDone: 0x63, // c
  copyFail: 0x66, // f
  errorResponse: 0x45, // E (backend)
  readyForQuery: 0x5a, // Z
} as const;

export interface WireMessage {
  /** The type byte, or null for the untyped messages of the startup phase. */
  type: number | null;
  /** The whole message, type byte and length included. */
  bytes: Buffer;
}

export class WireProtocolError extends Error {
  override name = "WireProtocolError";
}

/**
 * Reassembles messages from arbitrary chunks. A frontend stream starts untyped (SSLRequest,
 * GSSENCRequest, CancelRequest, StartupMessage) and becomes typed after the StartupMessage; a
 * backend stream is typed from the first byte.
 */
export class MessageFramer {
  #pending: Buffer | null = null;
  #untyped: boolean;

  constructor(side: "frontend" | "backend") {
    this.#untyped = side === "frontend";
  }

  push(chunk: Buffer): WireMessage[] {
    let buffer = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    const messages: WireMessage[] = [];
    for (;;) {
      const headerBytes = this.#untyped ? 4 : 5;
      if (buffer.length < headerBytes) break;
      const length = buffer.readInt32BE(this.#untyped ? 0 : 1);
      if (length < 4 || length > MAX_MESSAGE_BYTES) {
        throw new WireProtocolError(`invalid message length ${length}`);
      }
      const total = this.#untyped ? length : length + 1;
      if (buffer.length < total) break;
      const bytes = buffer.subarray(0, total);
      buffer = buffer.subarray(total);
      if (this.#untyped) {
        if (length < 8) throw new WireProtocolError("startup-phase message too short");
        // Only a StartupMessage (protocol major version 3) ends the untyped phase.
        if (bytes.readInt32BE(4) >>> 16 === 3) this.#untyped = false;
        messages.push({ type: null, bytes });
      } else {
        messages.push({ type: bytes[0] as number, bytes });
      }
    }
    this.#pending = buffer.length > 0 ? Buffer.from(buffer) : null;
    return messages;
  }

  /** Hands back bytes not yet forming a whole message, for a stream that stops being framed. */
  takeRemainder(): Buffer | null {
    const pending = this.#pending;
    this.#pending = null;
    return pending;
  }
}

/** The request code of an untyped startup-phase message. */
export function startupCode(message: WireMessage): number {
  return message.bytes.readInt32BE(4);
}

/** Parameters of a StartupMessage (user, database, options, GUCs...). */
export function readStartupParameters(message: WireMessage): Map<string, string> {
  const parameters = new Map<string, string>();
  const { bytes } = message;
  let offset = 8;
  while (offset < bytes.length && bytes[offset] !== 0) {
    const keyEnd = bytes.indexOf(0, offset);
    if (keyEnd < 0) break;
    const valueEnd = bytes.indexOf(0, keyEnd + 1);
    if (valueEnd < 0) break;
    parameters.set(bytes.toString("utf8", offset, keyEnd), bytes.toString("utf8", keyEnd + 1, valueEnd));
    offset = valueEnd + 1;
  }
  return parameters;
}

export function buildStartupMessage(protocolVersion: number, parameters: Map<string, string>): Buffer {
  const pairs = [...parameters].flatMap(([key, value]) => [
    Buffer.from(key, "utf8"),
    Buffer.alloc(1),
    Buffer.from(value, "utf8"),
    Buffer.alloc(1),
  ]);
  const body = Buffer.concat([...pairs, Buffer.alloc(1)]);
  const header = Buffer.alloc(8);
  header.writeInt32BE(body.length + 8, 0);
  header.writeInt32BE(protocolVersion, 4);
  return Buffer.concat([header, body]);
}

function typedMessage(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

export function queryMessage(sql: string): Buffer {
  return typedMessage(MessageType.query, Buffer.from(`${sql}\0`, "utf8"));
}

export function syncMessage(): Buffer {
  return typedMessage(MessageType.sync, Buffer.alloc(0));
}

export function terminateMessage(): Buffer {
  return typedMessage(MessageType.terminate, Buffer.alloc(0));
}

/** A backend ErrorResponse, so the client's driver reports a proper Postgres error. */
export function errorResponseMessage(severity: "ERROR" | "FATAL", code: string, message: string): Buffer {
  const fields: [string, string][] = [
    ["S", severity],
    ["V", severity],
    ["C", code],
    ["M", message],
  ];
  const body = Buffer.concat([
    ...fields.map(([tag, value]) => Buffer.from(`${tag}${value}\0`, "utf8")),
    Buffer.alloc(1),
  ]);
  return typedMessage(MessageType.errorResponse, body);
}
