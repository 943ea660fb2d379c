import { exports } from "cloudflare:workers";
import { SYSTEM_ROLES } from "../../db/schema/memberships";
import { demoRoleUser } from "../../db/seed/demo";
import { TEST_TENANTS } from "../support/tenants";
import { BASE, call, envelope, tokenFor } from "./helpers";

export type Frame = Record<string, unknown> & { type: string };
type TenantKey = keyof typeof TEST_TENANTS;

/** A seeded member of a suite tenant with a system role (db/tools/seed.ts). */
export function roleUser(tenant: TenantKey, role: (typeof SYSTEM_ROLES)[number]) {
  const t = TEST_TENANTS[tenant];
  return role === "Owner" ? { id: t.ownerId } : demoRoleUser(t, role, SYSTEM_ROLES.indexOf(role));
}

export async function ticketFor(token: string): Promise<{ res: Response; ticket?: string; url?: string }> {
  const res = await call("/api/v1/realtime/tickets", { method: "POST", token });
  if (res.status !== 201) return { res };
  const data = (await envelope<{ ticket: string; url: string }>(res.clone())).data;
  return { res, ticket: data.ticket, url: data.url };
}

export function upgrade(ticket: string, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(
    new Request(`${BASE}/api/v1/realtime?ticket=${encodeURIComponent(ticket)}`, {
      headers: { Upgrade: "websocket", ...headers },
    }),
  );
}

/** A connected test client: every frame it receives, and a way to wait for the next one that matches. */
export class Client {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  #waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  #closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly userId: string,
  ) {
    ws.addEventListener("message", (e) => {
      const frame = JSON.parse(String(e.data)) as Frame;
      this.frames.push(frame);
      for (const w of [...this.#waiters]) {
        if (w.match(frame)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      for (const r of this.#closeWaiters) r(this.closed);
    });
  }

  static async connect(
    o: { tenant?: TenantKey; role?: (typeof SYSTEM_ROLES)[number]; scope?: string; userId?: string } = {},
  ): Promise<Client> {
    const tenant = o.tenant ?? "a";
    const role = o.role ?? "Owner";
    const userId = o.userId ?? roleUser(tenant, role).id;
    const token = await tokenFor({ tenant, role, userId, ...(o.scope ? { scope: o.scope } : {}) });
    const { ticket, res } = await ticketFor(token);
    if (!ticket) throw new Error(`ticket refused: ${res.status} ${await res.text()}`);
    return Client.open(ticket, userId);
  }

  static async open(ticket: string, userId: string): Promise<Client> {
    const res = await upgrade(ticket);
    const ws = res.webSocket;
    if (!ws) throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
    ws.accept();
    const client = new Client(ws, userId);
    await client.next((f) => f.type === "welcome");
    return client;
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** The first frame (already received or still to come) that matches and was not taken before. */
  next(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame in ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          this.frames.splice(this.frames.indexOf(f), 1);
          resolve(f);
        },
      });
    });
  }

  async join(room: string, since?: number): Promise<Frame> {
    const ref = crypto.randomUUID();
    this.send({ type: "join", room, ref, ...(since === undefined ? {} : { since }) });
    return this.next((f) => f.type === "joined" && f.ref === ref);
  }

  async say(room: string, text: string): Promise<Frame> {
    const ref = crypto.randomUUID();
    this.send({ type: "message", room, text, ref });
    return this.next((f) => (f.type === "ack" || f.type === "error") && f.ref === ref);
  }

  waitClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs);
      this.#closeWaiters.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  close(): void {
    try {
      this.ws.close(1000, "done");
    } catch {
      // already closed
    }
  }
}

export const room = () => `room-${crypto.randomUUID().slice(0, 8)}`;
