import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { placedStub } from "../../durable-objects/placement";
import type { RateLimiter } from "../../durable-objects/rate-limiter";
import { consumeRateLimit } from "../../durable-objects/rate-limiter-client";
import { realtimeShard, tenantHub } from "../../durable-objects/tenant-hub-client";
import { webhookDispatcher } from "../../durable-objects/webhook-dispatcher-client";

const namespace = () => env.RATE_LIMITER as unknown as DurableObjectNamespace<RateLimiter>;

/** Records how a namespace is asked for a stub; workerd itself cannot do jurisdictions. */
function recordingNamespace() {
  const calls: string[] = [];
  const ns = {
    jurisdiction: (j: string) => {
      calls.push(`jurisdiction(${j})`);
      return ns;
    },
    idFromName: (name: string) => {
      calls.push(`idFromName(${name})`);
      return { name };
    },
    get: (_id: unknown, options?: { locationHint?: string }) => {
      calls.push(`get(${options?.locationHint ?? ""})`);
      return {};
    },
  };
  return { ns: ns as unknown as DurableObjectNamespace<RateLimiter>, calls };
}

describe("Durable Object placement by region", () => {
  it("creates deployed EU objects in the EU jurisdiction", () => {
    const { ns, calls } = recordingNamespace();
    placedStub(ns, "eu", "tenant:1", { localRuntime: false });
    expect(calls).toEqual(["jurisdiction(eu)", "idFromName(tenant:1)", "get()"]);
  });

  it("hints Lagos objects to afr, with no jurisdiction", () => {
    const { ns, calls } = recordingNamespace();
    placedStub(ns, "lagos", "tenant:1", { localRuntime: false });
    expect(calls).toEqual(["idFromName(tenant:1)", "get(afr)"]);
  });

  it("skips the jurisdiction only on the local runtime, which cannot do it", () => {
    expect(() => namespace().jurisdiction("eu")).toThrow(/not implemented/);
    const { ns, calls } = recordingNamespace();
    placedStub(ns, "eu", "tenant:1", { localRuntime: true });
    expect(calls).toEqual(["idFromName(tenant:1)", "get()"]);
  });

  it("counts through the typed client against real objects", async () => {
    const subject = `tenant:${crypto.randomUUID()}`;
    const policy = { name: "tier", limit: 2, windowMs: 60_000 };
    for (const region of ["eu", "lagos"] as const) {
      const results = await Promise.all(
        [1, 2, 3].map(() =>
          consumeRateLimit(namespace(), { region, localRuntime: true }, `${region}:${subject}`, policy),
        ),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(2);
    }
  });

  it("places a tenant's realtime hub, shards and webhook dispatchers in its home region", () => {
    const clients = {
      hub: (ns: DurableObjectNamespace<any>, region: "eu" | "lagos") =>
        tenantHub(ns, { region, localRuntime: false }, "t1"),
      shard: (ns: DurableObjectNamespace<any>, region: "eu" | "lagos") =>
        realtimeShard(ns, { region, localRuntime: false }, "t1", 3),
      dispatcher: (ns: DurableObjectNamespace<any>, region: "eu" | "lagos") =>
        webhookDispatcher(ns, { region, localRuntime: false }, "e1"),
    };
    const names = { hub: "hub:t1", shard: "realtime:t1:3", dispatcher: "webhooks:e1" };
    for (const [kind, client] of Object.entries(clients) as [
      keyof typeof clients,
      (typeof clients)["hub"],
    ][]) {
      const lagos = recordingNamespace();
      client(lagos.ns, "lagos");
      expect(lagos.calls).toEqual([`idFromName(${names[kind]})`, "get(afr)"]);
      const eu = recordingNamespace();
      client(eu.ns, "eu");
      expect(eu.calls).toEqual(["jurisdiction(eu)", `idFromName(${names[kind]})`, "get()"]);
    }
  });
});
