import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { tenantHub } from "../../durable-objects/tenant-hub-client";
import {
  FRAMES_PER_SECOND,
  MAX_FRAME_BYTES,
  MAX_ROOMS_PER_SOCKET,
} from "../../workers/api/realtime/protocol";
import { TEST_TENANTS } from "../support/tenants";
import { call, envelope, tokenFor } from "./helpers";
import { iam, memberWhoCanSignIn } from "./iam-helpers";
import { tokensFor } from "./oauth-helpers";
import { ownerSql } from "./outbox-helpers";
import { Client, type Frame, roleUser, room, ticketFor, upgrade } from "./realtime-helpers";
import { receiverUrl } from "./webhook-helpers";

const open: Client[] = [];
async function connect(o: Parameters<typeof Client.connect>[0] = {}) {
  const client = await Client.connect(o);
  open.push(client);
  return client;
}

afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));
const messagesIn = (client: Client, r: string) =>
  client.frames.filter((f) => f.type === "message" && f.room === r);

describe("realtime: tickets and connections", () => {
  it("a ticket is single use, names the socket URL, and nothing else opens a socket", async () => {
    const { res, ticket, url } = await ticketFor(await tokenFor());
    expect(res.status).toBe(201);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(ticket).toMatch(/^rtk_eu_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    expect(url).toBe(`ws://127.0.0.1:8787/api/v1/realtime?ticket=${ticket}`);
    const first = await upgrade(ticket as string);
    expect(first.status).toBe(101);
    first.webSocket?.accept();
    first.webSocket?.close(1000);
    const again = await upgrade(ticket as string);
    expect(again.status).toBe(401);
    expect((await envelope(again)).errors?.[0]?.code).toBe("UNAUTHENTICATED");

    expect((await upgrade(`rtk_eu_${"a".repeat(32)}_${"b".repeat(43)}`)).status).toBe(401);
    expect((await upgrade("nope")).status).toBe(401);
    const noUpgrade = await call(`/api/v1/realtime?ticket=${ticket}`, { token: null });
    expect(noUpgrade.status).toBe(400);
  });

  it("answers a client's close handshake at once: the client sees its own 1000, not 1006 seconds later", async () => {
    const client = await Client.connect();
    const started = Date.now();
    client.ws.close(1000, "bye");
    const closed = await client.waitClosed(15_000);
    expect(closed).toEqual({ code: 1000, reason: "bye" });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("refuses a browser Origin outside CORS_ORIGINS, and accepts an allowed one", async () => {
    const bad = await ticketFor(await tokenFor());
    const refused = await upgrade(bad.ticket as string, { Origin: "https://evil.example" });
    expect(refused.status).toBe(403);
    const good = await ticketFor(await tokenFor());
    const accepted = await upgrade(good.ticket as string, { Origin: "http://localhost:3000" });
    expect(accepted.status).toBe(101);
    accepted.webSocket?.accept();
    accepted.webSocket?.close(1000);
  });

  it("is for signed-in members with realtime.read: Viewer and Guest get no ticket, an unauthenticated caller 401", async () => {
    for (const role of ["Viewer", "Guest"] as const) {
      const token = await tokenFor({ role, userId: roleUser("a", role).id });
      expect((await ticketFor(token)).res.status, role).toBe(403);
    }
    expect((await call("/api/v1/realtime/tickets", { method: "POST", token: null })).status).toBe(401);
  });
});

describe("realtime: rooms, chat and presence", () => {
  it("two clients of one tenant chat and see each other's presence; another tenant's client sees nothing", async () => {
    const r = room();
    const owner = await connect();
    const member = await connect({ role: "Member" });
    const stranger = await connect({ tenant: "b" });

    const ownerJoined = await owner.join(r);
    expect(ownerJoined).toMatchObject({ online: [owner.userId], last_seq: 0 });
    await stranger.join(r);
    const memberJoined = await member.join(r);
    expect((memberJoined.online as string[]).sort()).toEqual([owner.userId, member.userId].sort());
    const memberArrived = await owner.next(
      (f) => f.type === "presence" && (f.joins as string[]).includes(member.userId),
    );
    expect(memberArrived).toMatchObject({ room: r, joins: [member.userId], leaves: [] });

    const ack = await owner.say(r, "Hello from the owner");
    expect(ack).toMatchObject({ type: "ack", room: r, seq: 1 });
    const received = await member.next((f) => f.type === "message");
    expect(received).toMatchObject({
      room: r,
      id: ack.id,
      seq: 1,
      user_id: owner.userId,
      text: "Hello from the owner",
    });
    await owner.next((f) => f.type === "message" && f.id === ack.id);

    member.send({ type: "typing", room: r });
    expect(await owner.next((f) => f.type === "typing")).toMatchObject({ room: r, user_id: member.userId });

    member.close();
    expect(await owner.next((f) => f.type === "presence" && (f.leaves as string[]).length > 0)).toMatchObject(
      {
        leaves: [member.userId],
      },
    );

    await quiet(300);
    // Only its own presence in its own tenant's room of that name: nothing of tenant a.
    expect(messagesIn(stranger, r)).toEqual([]);
    expect(stranger.frames.filter((f) => f.type === "typing")).toEqual([]);
    const seen = JSON.stringify(stranger.frames);
    expect(seen).not.toContain(owner.userId);
    expect(seen).not.toContain(member.userId);

    // Stored in the home region's Postgres, under the tenant.
    const [row] =
      await ownerSql()`select tenant_id, body, seq::int as seq from chat_messages where id = ${ack.id as string}`;
    expect(row).toEqual({ tenant_id: TEST_TENANTS.a.tenantId, body: "Hello from the owner", seq: 1 });
  });

  it("orders a room's messages: concurrent posts get increasing seqs and arrive in seq order everywhere", async () => {
    const r = room();
    const [a, b] = [await connect(), await connect({ role: "Member" })];
    await a.join(r);
    await b.join(r);
    const acks = await Promise.all([...Array(10).keys()].map((i) => (i % 2 ? a : b).say(r, `m${i}`)));
    expect(acks.map((x) => x.seq).sort((x, y) => Number(x) - Number(y))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    await quiet(300);
    for (const client of [a, b])
      expect(messagesIn(client, r).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("a reconnecting client resumes from its last seen seq without gaps or duplicates", async () => {
    const r = room();
    const speaker = await connect();
    await speaker.join(r);
    const listener = await connect({ role: "Member" });
    await listener.join(r);
    await speaker.say(r, "one");
    await listener.next((f) => f.type === "message" && f.seq === 1);
    listener.close();

    for (const text of ["two", "three", "four"]) await speaker.say(r, text);
    const back = await connect({ role: "Member" });
    // A message sent while the replay runs must come once, after the replayed ones.
    const joining = back.join(r, 1);
    const during = speaker.say(r, "five");
    const joined = await joining;
    await during;
    await quiet(300);
    // "five" is replayed or delivered live, depending on whether it was stored before the replay's read.
    expect([3, 4]).toContain(joined.replayed);
    expect(messagesIn(back, r).map((m) => [m.seq, m.text])).toEqual([
      [2, "two"],
      [3, "three"],
      [4, "four"],
      [5, "five"],
    ]);
  });

  it("refuses posting without realtime.write, outside a joined room, and bad or oversized frames", async () => {
    const r = room();
    const reader = await connect({ scope: "realtime:read crm:read" });
    await reader.join(r);
    expect(await reader.say(r, "hi")).toMatchObject({ type: "error", code: "FORBIDDEN" });

    const c = await connect();
    expect(await c.say(room(), "not joined")).toMatchObject({ type: "error", code: "BAD_REQUEST" });
    c.send({ type: "join", room: "Not A Room" });
    expect(await c.next((f) => f.type === "error")).toMatchObject({ code: "VALIDATION_ERROR" });
    c.ws.send("not json");
    expect(await c.next((f) => f.type === "error")).toMatchObject({ code: "BAD_REQUEST" });

    // Paced under the per-socket frame rate, which is not what this checks.
    for (let i = 0; i < MAX_ROOMS_PER_SOCKET; i++) {
      await quiet(1000 / FRAMES_PER_SECOND + 10);
      await c.join(`r${i}-${r}`.slice(0, 64));
    }
    c.send({ type: "join", room: `one-too-many-${r}`, ref: "x" });
    expect(await c.next((f) => f.type === "error" && f.ref === "x")).toMatchObject({ code: "BAD_REQUEST" });

    c.send({ type: "message", room: r, text: "x".repeat(MAX_FRAME_BYTES) });
    expect((await c.waitClosed()).code).toBe(1009);
  });

  it("closes a socket that sends faster than its rate", async () => {
    const c = await connect();
    for (let i = 0; i < 40; i++) c.send({ type: "ping" });
    expect((await c.waitClosed()).code).toBe(4008);
  });
});

describe("realtime: domain events", () => {
  it("delivers a tenant's events to its subscribed sockets only", async () => {
    const subscriber = await connect();
    const unsubscribed = await connect({ role: "Member" });
    const stranger = await connect({ tenant: "b" });
    for (const c of [subscriber, stranger]) {
      c.send({ type: "subscribe", event_types: ["contact."], ref: "s" });
      expect(await c.next((f) => f.type === "subscribed")).toMatchObject({ event_types: ["contact."] });
      c.send({ type: "subscribe", event_types: ["contact.", "contacts.created"], ref: "typo" });
      expect(await c.next((f) => f.type === "error" && f.ref === undefined)).toMatchObject({
        code: "VALIDATION_ERROR",
        message: expect.stringMatching(
          /^event_types\.1: Unknown event type contacts\.created; did you mean contact\.created\?/,
        ),
      });
    }
    const created = await call("/api/v1/crm/contacts", { method: "POST", json: { first_name: "Live" } });
    expect(created.status).toBe(201);
    const id = (await envelope<{ id: string }>(created)).data.id;
    const frame = await subscriber.next((f) => f.type === "event");
    expect(frame.event as Frame).toMatchObject({
      event_type: "contact.created",
      tenant_id: TEST_TENANTS.a.tenantId,
      data: { id, first_name: "Live" },
    });
    await quiet(300);
    expect(stranger.frames.filter((f) => f.type === "event")).toEqual([]);
    expect(unsubscribed.frames.filter((f) => f.type === "event")).toEqual([]);
  });
});

describe("realtime: what an event feed may show", () => {
  it("hides webhook endpoint events from a socket whose grant may not read endpoints, and needs events.read", async () => {
    const owner = await connect({ tenant: "c" });
    const member = await connect({ tenant: "c", role: "Member" });
    for (const c of [owner, member]) {
      c.send({ type: "subscribe", event_types: ["webhook_endpoint."] });
      await c.next((f) => f.type === "subscribed");
    }
    const ownerToken = await tokenFor({ tenant: "c" });
    const created = await call("/api/v1/webhooks/endpoints", {
      method: "POST",
      token: ownerToken,
      json: { url: receiverUrl() },
    });
    expect(created.status).toBe(201);
    // Tenant c is shared by other files: the endpoint must not keep receiving their events.
    const endpointId = (await envelope<{ id: string }>(created)).data.id;
    expect(((await owner.next((f) => f.type === "event")).event as Frame).event_type).toBe(
      "webhook_endpoint.created",
    );
    await quiet(300);
    expect(member.frames.filter((f) => f.type === "event")).toEqual([]);
    await call(`/api/v1/webhooks/endpoints/${endpointId}`, { method: "DELETE", token: ownerToken });

    const noEvents = await connect({ scope: "realtime:read realtime:write" });
    noEvents.send({ type: "subscribe", event_types: ["contact."], ref: "s" });
    expect(await noEvents.next((f) => f.type === "error" && f.ref === "s")).toMatchObject({
      code: "FORBIDDEN",
    });
  });
});

describe("realtime: scale and revocation", () => {
  it("spreads a tenant's sockets over shards and still reaches every one of them", async () => {
    const r = room();
    const clients = [];
    for (let i = 0; i < 5; i++) {
      const c = await connect({ tenant: "d" });
      await c.join(r);
      clients.push(c);
    }
    const ns = env.TENANT_HUB;
    if (!ns) throw new Error("no TENANT_HUB binding");
    const stats = await tenantHub(ns, { region: "eu", localRuntime: true }, TEST_TENANTS.d.tenantId).stats();
    // REALTIME_SHARD_CAPACITY is 2 in the tests.
    expect(Object.keys(stats.shards).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...Object.values(stats.shards))).toBeLessThanOrEqual(2);
    const ack = await clients[0]?.say(r, "to everyone");
    for (const c of clients) await c.next((f) => f.type === "message" && f.id === ack?.id);
  });

  it("closes the sockets of a member removed from the tenant, and refuses their unused ticket", async () => {
    const member = await memberWhoCanSignIn("Member", "c");
    const token = await tokenFor({ tenant: "c", role: "Member", userId: member.id });
    const spare = await ticketFor(token);
    const socket = await Client.open((await ticketFor(token)).ticket as string, member.id);
    open.push(socket);
    const removed = await iam(`/members/${member.id}`, { method: "DELETE", tenant: "c" });
    expect(removed.res.status).toBe(204);
    expect((await socket.waitClosed()).code).toBe(4001);
    expect((await upgrade(spare.ticket as string)).status).toBe(401);
  });

  it("closes a member's sockets when their role changes, so the next ticket carries the new role", async () => {
    const member = await memberWhoCanSignIn("Member", "c");
    const token = await tokenFor({ tenant: "c", role: "Member", userId: member.id });
    const socket = await Client.open((await ticketFor(token)).ticket as string, member.id);
    open.push(socket);
    // Still an active member with a valid token: only the change itself can close the socket.
    const changed = await iam(`/members/${member.id}`, {
      method: "PATCH",
      json: { role: "Viewer" },
      tenant: "c",
    });
    expect(changed.res.status).toBe(200);
    expect(await socket.waitClosed()).toEqual({ code: 4001, reason: "Membership changed" });
  });

  it("closes a socket whose session was revoked", async () => {
    // A real sign-in, so the access token belongs to a refresh family (its `sid`).
    const tokens = await tokensFor();
    const socket = await Client.open(
      (await ticketFor(tokens.access_token)).ticket as string,
      TEST_TENANTS.a.ownerId,
    );
    open.push(socket);
    const revoked = await call("/oauth/revoke", {
      method: "POST",
      token: null,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.refresh_token ?? "", client_id: "nexus-cli" }).toString(),
    });
    expect(revoked.status).toBe(200);
    // Within the revocation list's refresh (2 s) plus a recheck (1 s here), with room for a slow machine.
    expect((await socket.waitClosed(15_000)).code).toBe(4001);
  });
});

describe("GET /api/v1/realtime/rooms/{room}/messages", () => {
  it("pages a room's history newest first, filters by since_seq, and shows another tenant nothing", async () => {
    const r = room();
    const c = await connect();
    await c.join(r);
    for (const text of ["a", "b", "c", "d", "e"]) await c.say(r, text);
    const path = `/api/v1/realtime/rooms/${r}/messages`;
    const first = await envelope<{ seq: number; text: string }[]>(await call(`${path}?limit=2`));
    expect(first.data.map((m) => m.text)).toEqual(["e", "d"]);
    expect(first.meta?.has_more).toBe(true);
    const second = await envelope<{ seq: number }[]>(
      await call(`${path}?limit=2&cursor=${first.meta?.cursor}`),
    );
    expect(second.data.map((m) => m.seq)).toEqual([3, 2]);
    const since = await envelope<{ seq: number }[]>(await call(`${path}?since_seq=3`));
    expect(since.data.map((m) => m.seq)).toEqual([5, 4]);
    const other = await envelope<unknown[]>(await call(path, { token: await tokenFor({ tenant: "b" }) }));
    expect(other.data).toEqual([]);
    const viewer = await call(path, {
      token: await tokenFor({ role: "Viewer", userId: roleUser("a", "Viewer").id }),
    });
    expect(viewer.status).toBe(403);
    expect((await call(`/api/v1/realtime/rooms/Bad%20Room/messages`)).status).toBe(400);
  });
});
