import { connect } from "node:net";
import { describeConnectionFailure } from "../errors";
import type { Log } from "../log";
import {
  buildStartupMessage,
  errorResponseMessage,
  GSSENC_REQUEST_CODE,
  MessageFramer,
  MessageType,
  readStartupParameters,
  SSL_REQUEST_CODE,
  startupCode,
  WireProtocolError,
} from "../pg-wire";
import type { UpstreamAddress } from "./role-pools";
import type { WireConnection, WireHandlers } from "./types";

export interface PostgresWireOptions {
  upstream: UpstreamAddress;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  log: Log;
}

/** After the client's FIN, how long the server gets to close its side before the socket is cut. */
const CLOSE_GRACE_MS = 5_000;

const AUTHENTICATION = 0x52; // 'R'
const PASSWORD_MESSAGE = 0x70; // 'p'
const AUTHENTICATION_OK = 0;

/**
 * A TCP connection to the configured upstream carrying the client's bytes unchanged, except:
 * - the StartupMessage gains the gateway's statement_timeout unless the client set one;
 * - a password sent before the server asked for one (the Neon driver's default pipelineConnect
 *   "password", made for Neon's cleartext proxy) waits for the server's first authentication
 *   message and is dropped if that says no password is needed (trust), which Postgres would
 *   otherwise reject as an unexpected message;
 * - a Terminate ends the TCP side at once (the Neon driver closes its WebSocket without waiting).
 */
export function openPostgresWire(handlers: WireHandlers, options: PostgresWireOptions): WireConnection {
  const { upstream, statementTimeoutMs, connectTimeoutMs, log } = options;
  const socket = connect({ host: upstream.host, port: upstream.port, noDelay: true });
  const framer = new MessageFramer("frontend");
  // After an SSLRequest the stream may turn into TLS, which cannot be looked into: pass it through.
  let opaque = false;
  let ending = false;
  let receivedAny = false;
  let failure: Error | undefined;
  // Until the server's first authentication message (or error) is seen, its stream is framed too.
  let authPending = true;
  const backendFramer = new MessageFramer("backend");
  // Once a password is held, everything after it waits too, to keep the client's order.
  let held: { password: boolean; bytes: Buffer }[] | null = null;

  const settleAuthentication = (chunk: Buffer): void => {
    let messages: ReturnType<MessageFramer["push"]>;
    try {
      messages = backendFramer.push(chunk);
    } catch {
      authPending = false;
      return;
    }
    for (const message of messages) {
      if (message.type !== AUTHENTICATION && message.type !== MessageType.errorResponse) continue;
      authPending = false;
      const passwordWanted =
        message.type === AUTHENTICATION && message.bytes.readInt32BE(5) !== AUTHENTICATION_OK;
      const release = (held ?? []).filter((entry) => passwordWanted || !entry.password);
      held = null;
      if (release.length > 0) socket.write(Buffer.concat(release.map((entry) => entry.bytes)));
      return;
    }
  };

  socket.setTimeout(connectTimeoutMs, () => {
    socket.destroy(Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT" }));
  });
  socket.once("connect", () => socket.setTimeout(0));
  socket.on("data", (chunk: Buffer) => {
    receivedAny = true;
    if (authPending && !opaque) settleAuthentication(chunk);
    handlers.onData(chunk);
  });
  socket.on("drain", () => handlers.onDrain());
  socket.on("error", (error) => {
    failure = error;
  });
  socket.on("close", () => {
    if (failure && !receivedAny) {
      // Said in the driver's terms, this becomes a clear connect error instead of a bare
      // "Connection terminated unexpectedly".
      const reason = describeConnectionFailure(failure) ?? "upstream connection failed";
      handlers.onData(errorResponseMessage("FATAL", "08006", `database unavailable: ${reason}`));
    }
    if (failure) log({ level: "warn", msg: "upstream wire connection failed", error: failure.message });
    handlers.onClose(failure);
  });

  const withTimeout = (startup: Buffer): Buffer => {
    const message = { type: null, bytes: startup };
    const parameters = readStartupParameters(message);
    if (statementTimeoutMs <= 0 || parameters.has("statement_timeout")) return startup;
    parameters.set("statement_timeout", String(statementTimeoutMs));
    return buildStartupMessage(startupCode(message), parameters);
  };

  const frame = (chunk: Buffer): Buffer[] => {
    const out: Buffer[] = [];
    for (const message of framer.push(chunk)) {
      if (opaque) {
        out.push(message.bytes);
      } else if (message.type === null) {
        const code = startupCode(message);
        if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) opaque = true;
        out.push(code >>> 16 === 3 ? withTimeout(message.bytes) : message.bytes);
      } else if (message.type === MessageType.terminate) {
        out.push(message.bytes);
        ending = true;
        break;
      } else if (authPending && (held || message.type === PASSWORD_MESSAGE)) {
        held ??= [];
        held.push({ password: message.type === PASSWORD_MESSAGE, bytes: message.bytes });
      } else {
        out.push(message.bytes);
      }
    }
    if (opaque) {
      const remainder = framer.takeRemainder();
      if (remainder) out.push(remainder);
    }
    return out;
  };

  return {
    write(chunk) {
      if (ending || socket.destroyed) return true;
      if (opaque) return socket.write(chunk);
      let out: Buffer[];
      try {
        out = frame(chunk);
      } catch (error) {
        if (!(error instanceof WireProtocolError)) throw error;
        handlers.onData(errorResponseMessage("FATAL", "08P01", `invalid frontend message: ${error.message}`));
        socket.destroy();
        return true;
      }
      const flushed =
        out.length === 0 || socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
      if (ending) this.end();
      return flushed;
    },
    end() {
      ending = true;
      if (socket.destroyed) return;
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}
