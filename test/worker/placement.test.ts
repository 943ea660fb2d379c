import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { placedStub } from "../../durable-objects/placement";
import type { RateLimiter } from "../../durable-objects/rate-limiter";
import { consumeRateLimit } from "../../durable-objects/rate-limiter-client";

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
});
