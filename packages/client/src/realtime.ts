/**
 * The realtime socket (GET /api/v1/realtime): a single-use ticket per connection, JSON frames,
 * and reconnection that resumes: rooms are joined again with `since` (the last `seq` seen, so
 * the server replays what was missed), event subscriptions are sent again, and events published
 * while the socket was down are read back from the event log (`backfill`) and de-duplicated by
 * `event_id`.
 */

/** The platform event schema (API.md "Events"). */
export interface PlatformEvent {
  event_id: string;
  event_type: string;
  tenant_id: string;
  timestamp: string;
  source: string;
  version: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export type ServerFrame =
  | { type: "welcome"; connection_id: string; user_id: string; shard: number; limits: Record<string, number> }
  | { type: "joined"; room: string; ref?: string; online: string[]; last_seq: number; replayed: number }
  | { type: "left"; room: string; ref?: string }
  | { type: "ack"; ref?: string; room: string; id: string; seq: number }
  | { type: "message"; room: string; id: string; seq: number; user_id: string; text: string; sent_at: string }
  | { type: "typing"; room: string; user_id: string }
  | { type: "presence"; room: string; joins: string[]; leaves: string[] }
  | { type: "subscribed"; ref?: string; event_types: string[] }
  | { type: "event"; event: PlatformEvent }
  | { type: "pong"; ref?: string }
  | { type: "error"; code: string; message: string; ref?: string };

export interface RealtimeOptions {
  /** Gets a fresh ticket and the URL to open (POST /api/v1/realtime/tickets). */
  ticket: () => Promise<{ url: string }>;
  /** Events after `since` (inclusive), oldest first: how a reconnect fills its gap. */
  backfill?: ((since: string) => Promise<PlatformEvent[]>) | undefined;
  /** The WebSocket class (default the global one: browsers, Node 22). */
  WebSocket?: typeof WebSocket | undefined;
  /** Reconnect backoff: first wait, doubled up to the maximum (default 500 ms … 15 s). */
  reconnectDelayMs?: { initial: number; max: number } | undefined;
}

/** Close codes after which reconnecting cannot help (revoked credential, refused frame, too fast). */
const FINAL_CLOSE_CODES = new Set([1008, 4001, 4002, 4008]);
const SEEN_EVENTS_KEPT = 5000;

export type RealtimeState = "connecting" | "open" | "reconnecting" | "closed";

interface RealtimeEvents {
  frame: ServerFrame;
  event: PlatformEvent;
  state: RealtimeState;
  error: Error;
}

export class RealtimeClient {
  private socket: WebSocket | undefined;
  private readonly rooms = new Map<string, number>();
  private subscriptions: string[] | undefined;
  private readonly seen = new Set<string>();
  private lastEventAt: string | undefined;
  private closedByUser = false;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners: { [K in keyof RealtimeEvents]: Set<(value: RealtimeEvents[K]) => void> } = {
    frame: new Set(),
    event: new Set(),
    state: new Set(),
    error: new Set(),
  };

  constructor(private readonly options: RealtimeOptions) {}

  on<K extends keyof RealtimeEvents>(type: K, listener: (value: RealtimeEvents[K]) => void): () => void {
    const set = this.listeners[type];
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Opens the socket; resolves once the server's `welcome` arrived. */
  async connect(): Promise<void> {
    this.closedByUser = false;
    await this.open("connecting");
  }

  /** Receives the tenant's events of these types or prefixes (`contact.`); replaces earlier ones. */
  subscribe(eventTypes: string[]): void {
    this.subscriptions = eventTypes;
    this.send({ type: "subscribe", event_types: eventTypes });
  }

  join(room: string): void {
    if (!this.rooms.has(room)) this.rooms.set(room, 0);
    this.send({ type: "join", room, ...(this.rooms.get(room) ? { since: this.rooms.get(room) } : {}) });
  }

  sendMessage(room: string, text: string, ref?: string): void {
    this.send({ type: "message", room, text, ...(ref ? { ref } : {}) });
  }

  close(): void {
    this.closedByUser = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, "client closed");
    this.emit("state", "closed");
  }

  /** Every event, live, as an async iterator (ends when the client is closed). */
  async *events(): AsyncGenerator<PlatformEvent> {
    const queue: PlatformEvent[] = [];
    let wake: (() => void) | undefined;
    const offEvent = this.on("event", (event) => {
      queue.push(event);
      wake?.();
    });
    const offState = this.on("state", (state) => {
      if (state === "closed") wake?.();
    });
    try {
      while (!this.closedByUser) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      offEvent();
      offState();
    }
  }

  private send(frame: Record<string, unknown>): void {
    if (this.socket?.readyState === 1) this.socket.send(JSON.stringify(frame));
  }

  private emit<K extends keyof RealtimeEvents>(type: K, value: RealtimeEvents[K]): void {
    for (const listener of this.listeners[type]) listener(value);
  }

  private async open(state?: "connecting"): Promise<void> {
    if (state) this.emit("state", state);
    const { url } = await this.options.ticket();
    const Socket = this.options.WebSocket ?? globalThis.WebSocket;
    const socket = new Socket(url);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      let welcomed = false;
      socket.addEventListener("message", (message) => {
        let frame: ServerFrame;
        try {
          frame = JSON.parse(String(message.data)) as ServerFrame;
        } catch {
          return;
        }
        if (frame.type === "welcome" && !welcomed) {
          welcomed = true;
          this.attempts = 0;
          this.resume().then(resolve, reject);
        }
        this.handle(frame);
      });
      socket.addEventListener("close", (close) => {
        if (!welcomed)
          reject(new Error(`Realtime socket closed before welcome (${close.code} ${close.reason})`));
        if (this.socket !== socket || this.closedByUser) return;
        if (FINAL_CLOSE_CODES.has(close.code)) {
          this.emit("error", new Error(`Realtime socket closed: ${close.code} ${close.reason}`));
          this.closedByUser = true;
          this.emit("state", "closed");
          return;
        }
        this.scheduleReconnect();
      });
      socket.addEventListener("error", () => {
        if (!welcomed) reject(new Error("Realtime socket failed to open"));
      });
    });
  }

  private scheduleReconnect(): void {
    const { initial, max } = this.options.reconnectDelayMs ?? { initial: 500, max: 15_000 };
    const delay = Math.min(max, initial * 2 ** this.attempts++);
    this.emit("state", "reconnecting");
    this.timer = setTimeout(() => {
      this.open().catch((error: unknown) => {
        this.emit("error", error instanceof Error ? error : new Error(String(error)));
        if (!this.closedByUser) this.scheduleReconnect();
      });
    }, delay);
  }

  /** After (re)connecting: subscriptions and rooms as they were, and the events missed meanwhile. */
  private async resume(): Promise<void> {
    if (this.subscriptions) this.send({ type: "subscribe", event_types: this.subscriptions });
    for (const [room, seq] of this.rooms) this.send({ type: "join", room, ...(seq ? { since: seq } : {}) });
    this.emit("state", "open");
    if (this.lastEventAt && this.options.backfill) {
      for (const event of await this.options.backfill(this.lastEventAt)) this.deliver(event);
    }
  }

  private handle(frame: ServerFrame): void {
    if (frame.type === "message" || frame.type === "ack") {
      if (frame.seq > (this.rooms.get(frame.room) ?? 0)) this.rooms.set(frame.room, frame.seq);
    }
    // A first join (no `since`) starts from the room's present: a reconnect replays from there.
    if (frame.type === "joined" && frame.replayed === 0 && (this.rooms.get(frame.room) ?? 0) === 0) {
      this.rooms.set(frame.room, frame.last_seq);
    }
    if (frame.type === "event") this.deliver(frame.event);
    else this.emit("frame", frame);
  }

  private deliver(event: PlatformEvent): void {
    if (this.seen.has(event.event_id)) return;
    this.seen.add(event.event_id);
    if (this.seen.size > SEEN_EVENTS_KEPT) this.seen.delete(this.seen.values().next().value as string);
    if (!this.lastEventAt || event.timestamp > this.lastEventAt) this.lastEventAt = event.timestamp;
    this.emit("event", event);
  }
}
