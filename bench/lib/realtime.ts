import { percentile } from "./percentile";
import { progress } from "./progress";
import { RawWebSocket } from "./raw-websocket";

export interface FanOutTimings {
  sockets: number;
  /** Messages published, each timed at every socket. */
  messages: number;
  /** Publish (the sender's frame leaves) → receipt, over every socket and message. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Per message, publish → the first socket's receipt (ordering, the Postgres write, one send), p50. */
  firstReceiptP50Ms: number;
  /** Shards the hub spread the sockets over. */
  shards: number;
  /** Time to open all the sockets (tickets and upgrades, 50 at a time). */
  connectSeconds: number;
}

const ROOM = "bench-room";
const CHAT_PREFIX = Buffer.from('{"type":"message"');
/** The message being timed now (one at a time): its text, and the same as JSON bytes to search for. */
let timing: { text: string; marker: Buffer } | undefined;
const CONNECT_BATCH = 50;
const SOCKETS_PER_ADDRESS = 200;

const rank = (sorted: Float64Array, p: number) => Math.round(percentile(sorted, p) * 100) / 100;

interface Socket {
  ws: RawWebSocket;
  shard: number;
  /** text → arrival time (performance.now) of the message with that text. */
  arrivals: Map<string, number>;
}

async function openSocket(baseUrl: string, token: string, n: number): Promise<Socket> {
  const res = await fetch(`${baseUrl}/api/v1/realtime/tickets`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { data?: { url: string } };
  if (res.status !== 201 || !body.data) throw new Error(`ticket ${n}: ${res.status} ${JSON.stringify(body)}`);
  // The upgrade is counted per address like public routes (600 a minute): 200 sockets share one.
  // Not one address each: every address is a RateLimiter object, which on one workerd holds three
  // file descriptors for its SQLite files, and 10,000 of them would exhaust the process's limit.
  const address = Math.floor(n / SOCKETS_PER_ADDRESS);
  const ws = await RawWebSocket.open(body.data.url, {
    "CF-Connecting-IP": `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address & 255}`,
  });
  const socket: Socket = { ws, shard: -1, arrivals: new Map() };
  await new Promise<void>((resolve) => {
    ws.onFrame((data, arrivedAt) => {
      // The hot path, kept cheap so the load generator's own cost stays out of the figure: a
      // chat frame is recognised by its first bytes and matched to the message being timed with
      // a byte search, no decoding or parsing.
      if (data.subarray(0, CHAT_PREFIX.length).equals(CHAT_PREFIX)) {
        if (timing && data.includes(timing.marker)) socket.arrivals.set(timing.text, arrivedAt);
        return;
      }
      const frame = JSON.parse(String(data)) as { type: string; shard?: number };
      if (frame.type === "joined") resolve();
      if (frame.type === "welcome") socket.shard = frame.shard ?? -1;
      if (frame.type === "welcome") ws.send(JSON.stringify({ type: "join", room: ROOM, ref: "j" }));
    });
  });
  return socket;
}

/**
 * `sockets` WebSockets of one tenant in one room; one of them posts `messages` chat messages, one
 * at a time, and each is timed from the moment the sender's frame left to its arrival at every
 * socket (the sender's own copy included). What it measures: the hub's ordering and Postgres
 * write, the fan-out to the shards and their sends, and this process receiving them all. The
 * sockets are RawWebSocket (raw-websocket.ts), timed as their bytes arrive: with the `ws` package
 * this one process spent ~50 ms of CPU receiving each message's 1,000 copies, which the figure
 * then counted as fan-out (p99 112–177 ms then; ~70 ms with the same server measured this way).
 */
export async function measureFanOut(options: {
  baseUrl: string;
  token: string;
  sockets: number;
  messages: number;
}): Promise<FanOutTimings> {
  progress(`realtime: opening ${options.sockets} sockets in one room`);
  const started = performance.now();
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < options.sockets; i += CONNECT_BATCH) {
      const batch = Math.min(CONNECT_BATCH, options.sockets - i);
      sockets.push(
        ...(await Promise.all(
          Array.from({ length: batch }, (_, k) => openSocket(options.baseUrl, options.token, i + k)),
        )),
      );
    }
    const connectSeconds = Math.round((performance.now() - started) / 100) / 10;
    // Each socket's welcome frame names the shard holding it.
    const shards = new Set(sockets.map((s) => s.shard)).size;
    progress(
      `realtime: ${sockets.length} sockets open in ${connectSeconds} s over ${shards} shard(s); ${options.messages} messages`,
    );
    const sender = sockets[0] as Socket;
    const samples: number[] = [];
    const firsts: number[] = [];
    for (let m = 0; m < options.messages + 2; m++) {
      const text = `bench-${m}-${Date.now()}`;
      timing = { text, marker: Buffer.from(`"text":"${text}"`) };
      const sentAt = performance.now();
      sender.ws.send(JSON.stringify({ type: "message", room: ROOM, text }));
      const deadline = sentAt + 30_000;
      while (sockets.some((s) => !s.arrivals.has(text))) {
        if (performance.now() > deadline) throw new Error(`message ${m} did not reach every socket in 30 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      // The first two warm the path up.
      if (m >= 2) {
        const times = sockets.map((s) => (s.arrivals.get(text) as number) - sentAt);
        samples.push(...times);
        firsts.push(Math.min(...times));
      }
      // Stay under the sender's per-socket frame rate.
      await new Promise((r) => setTimeout(r, 60));
    }
    const sorted = Float64Array.from(samples).sort();
    return {
      sockets: sockets.length,
      messages: options.messages,
      latencyMs: { p50: rank(sorted, 50), p99: rank(sorted, 99), max: rank(sorted, 100) },
      firstReceiptP50Ms: rank(Float64Array.from(firsts).sort(), 50),
      shards,
      connectSeconds,
    };
  } finally {
    for (const s of sockets) s.ws.terminate();
  }
}

export function renderFanOut(results: readonly FanOutTimings[]): string {
  return results
    .map(
      (r) =>
        `realtime fan-out: ${r.sockets} sockets in one room (${r.shards} shard(s), opened in ${r.connectSeconds} s), ` +
        `${r.messages} messages: publish → receipt at every socket p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms; first socket p50 ${r.firstReceiptP50Ms} ms`,
    )
    .join("\n");
}
