import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { signAccessToken } from "../../workers/api/auth/sign-access-token";
import { loadConfig } from "../../workers/api/env";
import { formatTicket } from "../../workers/api/realtime/ticket";
import { TEST_REGION_URLS } from "../support/regions";
import { TEST_TENANTS } from "../support/tenants";
import { callWith, signingKeys } from "./helpers";

/** This deployment with its Lagos peer frozen: it accepts the connection and never answers. */
const frozenLagos = (timeoutMs: string) => ({
  REGION_URLS: JSON.stringify({ ...TEST_REGION_URLS, lagos: inject("silentUrl") }),
  REGION_FORWARD_TIMEOUT_MS: timeoutMs,
});

/** A Lagos token as that region's authorization server (at the frozen URL) issues it. */
const lagosToken = () =>
  signAccessToken({
    signingKey: signingKeys().lagos,
    issuer: inject("silentUrl"),
    audience: "nexus-api",
    region: "lagos",
    tenantId: TEST_TENANTS.a.tenantId,
    userId: TEST_TENANTS.a.ownerId,
    role: "Owner",
    scope: "crm:read crm:write",
  });

async function timed(work: Promise<Response>) {
  const started = Date.now();
  const response = await work;
  return { response, elapsedMs: Date.now() - started };
}

describe("a forward to the home region has a deadline", () => {
  it("answers 503 with Retry-After when the home region does not answer in time", async () => {
    const token = await lagosToken();
    const { response, elapsedMs } = await timed(
      callWith(frozenLagos("500"), "/api/v1/crm/contacts", { token }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    expect(body.errors[0]?.message).toContain("did not answer within 500 ms");
    // Far below the default deadline (10 s) and the frozen peer's hold (30 s): the setting applied.
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it("also for a write whose body is streamed through (chunked, no Content-Length)", async () => {
    const token = await lagosToken();
    const bytes = new TextEncoder().encode(JSON.stringify({ first_name: "Streamed" }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 5));
        controller.enqueue(bytes.slice(5));
        controller.close();
      },
    });
    const { response, elapsedMs } = await timed(
      callWith(frozenLagos("500"), "/api/v1/crm/contacts", {
        method: "POST",
        token,
        headers: { "Content-Type": "application/json" },
        body: stream,
      }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it("also for a WebSocket upgrade whose ticket names the frozen region", async () => {
    const ticket = formatTicket("lagos", TEST_TENANTS.a.tenantId, "x".repeat(43));
    const { response, elapsedMs } = await timed(
      callWith(frozenLagos("500"), `/api/v1/realtime?ticket=${ticket}`, {
        token: null,
        headers: { Upgrade: "websocket", Connection: "Upgrade" },
      }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it("a forwarded socket the home region opened in time outlives the deadline", async () => {
    const ticket = formatTicket("lagos", TEST_TENANTS.a.tenantId, "x".repeat(43));
    // The peer opens the socket at once and sends its first frame after 1.5 s, three deadlines later.
    const response = await callWith(frozenLagos("500"), `/api/v1/realtime?ticket=${ticket}`, {
      token: null,
      headers: { Upgrade: "websocket", "X-Silent-Trickle": "1500" },
    });
    expect(response.status).toBe(101);
    const socket = response.webSocket;
    if (!socket) throw new Error("no WebSocket in the forwarded answer");
    socket.accept();
    const first = await new Promise<string>((resolve, reject) => {
      socket.addEventListener("message", (e) => resolve(String(e.data)));
      socket.addEventListener("close", (e) => reject(new Error(`closed ${e.code}`)));
      socket.addEventListener("error", () => reject(new Error("socket error")));
    });
    expect(first).toBe("late");
    socket.close(1000, "done");
  });

  it("bounds only the start of the answer: a body that streams past the deadline arrives whole", async () => {
    const token = await lagosToken();
    const response = await callWith(frozenLagos("500"), "/api/v1/crm/contacts", {
      token,
      // The peer answers at once and spreads its body over 1.5 s, three times the deadline.
      headers: { "X-Silent-Trickle": "1500" },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("piece 0\npiece 1\npiece 2\npiece 3\npiece 4\ndone\n");
  });

  it("defaults to 10 s, and /health's dependency checks to 3 s", () => {
    const unset = { ...env, REGION_FORWARD_TIMEOUT_MS: "", HEALTH_CHECK_TIMEOUT_MS: "" };
    const config = loadConfig(unset);
    expect(config.regionForwardTimeoutMs).toBe(10_000);
    expect(config.healthCheckTimeoutMs).toBe(3_000);
  });
});

describe("/health's dependency deadline", () => {
  it("reports a dependency that never answers as down with `timeout` once its deadline passes", async () => {
    const frozenBackend = { BACKEND_URL: inject("silentUrl"), HEALTH_CHECK_TIMEOUT_MS: "300" };
    const { response, elapsedMs } = await timed(callWith(frozenBackend, "/health"));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; dependencies: Record<string, unknown> };
    expect(body.status).toBe("degraded");
    expect(body.dependencies.backend).toMatchObject({ status: "down", error: "timeout" });
    expect(elapsedMs).toBeLessThan(1_500);
  });
});
