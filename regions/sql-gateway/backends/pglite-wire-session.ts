import { connect, type Socket } from "node:net";
import type { AsyncMutex } from "../async-mutex";
import type { Log } from "../log";
import {
  CANCEL_REQUEST_CODE,
  errorResponseMessage,
  GSSENC_REQUEST_CODE,
  MessageFramer,
  MessageType,
  PROTOCOL_3_0,
  queryMessage,
  readStartupParameters,
  SSL_REQUEST_CODE,
  startupCode,
  syncMessage,
  terminateMessage,
  type WireMessage,
  WireProtocolError,
} from "../pg-wire";
import { quoteIdentifier, RESET_SESSION } from "./sql-text";
import type { WireConnection, WireHandlers } from "./types";

// PGlite is a single Postgres session. PGLiteSocketServer serves it to several sockets but only
// serialises individual messages: another client's Parse can land between our Parse and Bind, and
// the gateway's HTTP requests (which use the PGlite API directly) could run inside a WebSocket
// client's open transaction. So each WebSocket client must own the session, through the gateway's
// lock, for a whole "span": from its first message until PGlite is idle again (ReadyForQuery 'I',
// nothing in flight, no unsynced extended-protocol messages). Around each span the session is
// made to look like a connection of its own: SET ROLE to the startup user (PGlite ignores the
// user in the startup message) and a reset afterwards, so nothing leaks to the next owner.

export interface PgliteWireOptions {
  address: { host: string; port: number };
  lock: AsyncMutex;
  /** PGlite's own user; sessions of this user run without SET ROLE. */
  superuser: string;
  lockWaitMs: number;
  /** How long a client may keep a transaction open without sending anything. */
  idleInTransactionMs: number;
  log: Log;
}

/** Whose request each outstanding ReadyForQuery answers, in the order requests were sent. */
type ReplyOwner = { kind: "client" } | { kind: "gateway"; done: (error: Buffer | null) => void };

const IDLE = 0x49; // 'I' in ReadyForQuery
const PASSWORD_MESSAGE = 0x70; // 'p'
/** How long PGlite gets to roll back a departed client's transaction before the lock is forced. */
const CLEANUP_TIMEOUT_MS = 5_000;

const EXTENDED_PROTOCOL = new Set<number>([
  MessageType.parse,
  MessageType.bind,
  MessageType.execute,
  MessageType.describe,
  MessageType.close,
  MessageType.flush,
]);

export class PgliteWireSession implements WireConnection {
  readonly #handlers: WireHandlers;
  readonly #options: PgliteWireOptions;
  readonly #socket: Socket;
  readonly #frontend = new MessageFramer("frontend");
  readonly #backend = new MessageFramer("backend");
  /** Client messages not yet sent: waiting for the lock or for the gateway's own statement. */
  #queue: WireMessage[] = [];
  readonly #replies: ReplyOwner[] = [];
  #gatewayError: Buffer | null = null;
  #release: (() => void) | null = null;
  #acquiring: AbortController | null = null;
  /** A gateway statement (SET ROLE / reset) is in flight; client messages wait behind it. */
  #busy = false;
  #unsynced = false;
  #txStatus = IDLE;
  #role: string | null = null;
  #startupSent = false;
  /** SET ROLE is in effect for the current span. */
  #roleSet = false;
  /** The span ran statements, so the session needs a reset before it is handed on. */
  #dirty = false;
  #closing = false;
  #closeReported = false;
  #idleTimer: NodeJS.Timeout | null = null;
  #cleanupTimer: NodeJS.Timeout | null = null;
  #failure: Error | undefined;

  constructor(handlers: WireHandlers, options: PgliteWireOptions) {
    this.#handlers = handlers;
    this.#options = options;
    this.#socket = connect({ host: options.address.host, port: options.address.port, noDelay: true });
    this.#socket.on("data", (chunk: Buffer) => this.#onDatabaseData(chunk));
    this.#socket.on("drain", () => handlers.onDrain());
    this.#socket.on("error", (error) => {
      this.#failure = error;
    });
    this.#socket.on("close", () => this.#onDatabaseClose());
  }

  write(chunk: Buffer): boolean {
    if (this.#closing) return true;
    let messages: WireMessage[];
    try {
      messages = this.#frontend.push(chunk);
    } catch (error) {
      if (!(error instanceof WireProtocolError)) throw error;
      this.#fail("08P01", `invalid frontend message: ${error.message}`);
      return true;
    }
    for (const message of messages) {
      if (message.type === null) {
        const code = startupCode(message);
        if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
          // PGlite has no TLS; answering here keeps these bytes out of its queue.
          this.#handlers.onData(Buffer.from("N"));
          continue;
        }
        if (code === CANCEL_REQUEST_CODE) {
          // A running PGlite statement cannot be interrupted; a cancel connection just ends.
          this.#shutdown();
          return true;
        }
        if (code !== PROTOCOL_3_0) {
          this.#fail("08P01", "PGlite accepts protocol version 3.0 only");
          return true;
        }
        this.#role = readStartupParameters(message).get("user") ?? null;
      } else if (message.type === MessageType.terminate) {
        this.#shutdown();
        return true;
      } else if (message.type === PASSWORD_MESSAGE) {
        // PGlite never asks for a password; the Neon driver's pipelined password (pipelineConnect
        // "password") would otherwise reach it as an unexpected message.
        continue;
      }
      this.#queue.push(message);
    }
    this.#pump();
    return true;
  }

  end(): void {
    this.#shutdown();
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  #pump(): void {
    if (this.#closing || this.#busy || this.#queue.length === 0) return;
    if (this.#release) {
      this.#flush();
      return;
    }
    if (this.#acquiring) return;
    const controller = new AbortController();
    this.#acquiring = controller;
    this.#options.lock.acquire(this.#options.lockWaitMs, controller.signal).then(
      (release) => {
        this.#acquiring = null;
        if (this.#closing) {
          release();
          return;
        }
        this.#release = release;
        this.#flush();
      },
      () => {
        this.#acquiring = null;
        if (controller.signal.aborted) return;
        this.#fail(
          "55P03",
          `PGlite is busy: its only connection stayed in use for more than ${this.#options.lockWaitMs} ms`,
        );
      },
    );
  }

  /** Sends queued client messages, switching to the client's role first when needed. */
  #flush(): void {
    if (this.#busy || !this.#release || this.#queue.length === 0) return;
    const role = this.#role;
    if (this.#startupSent && !this.#roleSet && role !== null && role !== this.#options.superuser) {
      this.#roleSet = true;
      this.#dirty = true;
      this.#runGatewayStatement(`SET ROLE ${quoteIdentifier(role)}`, (error) => {
        if (this.#closing) return;
        if (error) {
          // Never run the client's statements as the superuser instead.
          this.#handlers.onData(error);
          this.#shutdown();
          return;
        }
        this.#flush();
      });
      return;
    }
    this.#disarmIdle();
    const out: Buffer[] = [];
    let sent = 0;
    for (const message of this.#queue) {
      out.push(message.bytes);
      this.#account(message);
      sent++;
      // Statements pipelined behind the startup message wait for it, so SET ROLE can go first.
      if (message.type === null) break;
    }
    this.#queue = this.#queue.slice(sent);
    this.#socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
  }

  /** Tracks what each sent message obliges PGlite to answer. */
  #account(message: WireMessage): void {
    const { type } = message;
    if (type === null) {
      this.#startupSent = true;
      this.#replies.push({ kind: "client" });
    } else if (type === MessageType.sync) {
      this.#unsynced = false;
      this.#replies.push({ kind: "client" });
    } else if (type === MessageType.query || type === MessageType.functionCall) {
      this.#dirty = true;
      this.#replies.push({ kind: "client" });
    } else if (EXTENDED_PROTOCOL.has(type)) {
      this.#dirty = true;
      this.#unsynced = true;
    } else {
      this.#dirty = true;
    }
  }

  #runGatewayStatement(sql: string, done: (error: Buffer | null) => void): void {
    this.#busy = true;
    this.#replies.push({
      kind: "gateway",
      done: (error) => {
        this.#busy = false;
        done(error);
      },
    });
    this.#socket.write(queryMessage(sql));
  }

  #onDatabaseData(chunk: Buffer): void {
    let messages: WireMessage[];
    try {
      messages = this.#backend.push(chunk);
    } catch (error) {
      this.#options.log({ level: "error", msg: "unframeable data from PGlite", error: String(error) });
      this.#socket.destroy();
      return;
    }
    const out: Buffer[] = [];
    const completions: (() => void)[] = [];
    for (const message of messages) {
      const owner = this.#replies[0];
      const isReady = message.type === MessageType.readyForQuery;
      if (isReady) {
        this.#replies.shift();
        this.#txStatus = message.bytes[5] ?? IDLE;
      }
      if (owner?.kind === "gateway") {
        // The gateway's own statements are invisible to the client.
        if (message.type === MessageType.errorResponse) this.#gatewayError = message.bytes;
        if (isReady) {
          const error = this.#gatewayError;
          this.#gatewayError = null;
          completions.push(() => owner.done(error));
        }
        continue;
      }
      if (!this.#closing) out.push(message.bytes);
    }
    if (out.length > 0) this.#handlers.onData(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
    for (const complete of completions) complete();
    this.#afterReplies();
  }

  /** Decides, whenever PGlite has answered, whether this session's span is over. */
  #afterReplies(): void {
    if (this.#closing || !this.#release || this.#busy || this.#replies.length > 0) return;
    if (this.#queue.length > 0) {
      this.#flush();
      return;
    }
    if (this.#txStatus !== IDLE || this.#unsynced) {
      // The client holds a transaction open and PGlite with it; bounded so one forgotten
      // transaction cannot stall every other request forever.
      this.#armIdle();
      return;
    }
    const handOn = () => {
      // A shutdown that started meanwhile owns the lock's release (after its own cleanup).
      if (this.#closing) return;
      this.#releaseLock();
      this.#pump();
    };
    if (!this.#dirty) {
      handOn();
      return;
    }
    this.#dirty = false;
    this.#roleSet = false;
    this.#runGatewayStatement(RESET_SESSION, (error) => {
      if (error)
        this.#options.log({ level: "error", msg: "session reset failed on PGlite", error: error.toString() });
      handOn();
    });
  }

  #armIdle(): void {
    if (this.#idleTimer) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      this.#fail(
        "25P03",
        `terminating connection: idle in transaction for more than ${this.#options.idleInTransactionMs} ms while holding PGlite's only connection`,
      );
    }, this.#options.idleInTransactionMs);
  }

  #disarmIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  #fail(code: string, message: string): void {
    if (this.#closing) return;
    this.#handlers.onData(errorResponseMessage("FATAL", code, message));
    this.#shutdown();
  }

  /** Ends the session; if it owns PGlite, first undoes whatever it left behind. */
  #shutdown(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#disarmIdle();
    this.#acquiring?.abort(new Error("session closed"));
    this.#queue = [];
    if (!this.#release || this.#socket.destroyed) {
      this.#closeSocket();
      return;
    }
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (this.#cleanupTimer) clearTimeout(this.#cleanupTimer);
      this.#releaseLock();
      this.#closeSocket();
    };
    // Sync ends any unsynced extended-protocol sequence; the Query rolls back an open transaction
    // (a warning if there is none) and resets the role and session settings.
    this.#replies.push({ kind: "gateway", done: () => {} });
    this.#replies.push({ kind: "gateway", done: finish });
    this.#socket.write(Buffer.concat([syncMessage(), queryMessage(`ROLLBACK; ${RESET_SESSION}`)]));
    this.#cleanupTimer = setTimeout(() => {
      this.#options.log({ level: "error", msg: "PGlite did not finish a closed session's cleanup in time" });
      finish();
    }, CLEANUP_TIMEOUT_MS);
  }

  #releaseLock(): void {
    const release = this.#release;
    this.#release = null;
    release?.();
  }

  #closeSocket(): void {
    if (this.#socket.destroyed) {
      this.#onDatabaseClose();
      return;
    }
    // PGlite ignores Terminate; closing the socket is what ends the session server-side.
    this.#socket.end(terminateMessage());
    setTimeout(() => this.#socket.destroy(), CLEANUP_TIMEOUT_MS).unref();
  }

  #onDatabaseClose(): void {
    this.#closing = true;
    this.#disarmIdle();
    if (this.#cleanupTimer) clearTimeout(this.#cleanupTimer);
    this.#acquiring?.abort(new Error("session closed"));
    this.#releaseLock();
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.#handlers.onClose(this.#failure);
  }
}
