import { describe, expect, it } from "vitest";
import { call, envelope } from "./helpers";

interface Operation {
  requestBody?: { content?: Record<string, unknown> };
}

/** Every operation under /api whose document declares a JSON body, with its path filled in. */
async function jsonRoutes(): Promise<{ method: string; path: string }[]> {
  const doc = (await (await call("/openapi.json", { token: null })).json()) as {
    paths: Record<string, Record<string, Operation>>;
  };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([, op]) => path.startsWith("/api/") && op.requestBody?.content?.["application/json"])
      .map(([method]) => ({
        method: method.toUpperCase(),
        path: path.replace(/\{[^}]+\}/g, crypto.randomUUID()),
      })),
  );
}

const streamOf = (text: string) =>
  new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });

describe("the media-type gate of JSON routes", () => {
  it("answers a chunked body without Content-Type with 415 on every JSON route", async () => {
    const routes = await jsonRoutes();
    expect(routes.length).toBeGreaterThan(20);
    for (const { method, path } of routes) {
      const res = await call(path, {
        method,
        body: streamOf('{"name":"x"}'),
        // @ts-expect-error duplex is required for streamed bodies
        duplex: "half",
      });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 415 });
      expect((await envelope(res)).errors?.[0]?.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    }
  });

  it("answers a content type the route's validator would not read with 415, not 500", async () => {
    // Accepted by a loose pattern, refused by @hono/zod-openapi's own gate: either way an answer.
    for (const type of ["application/json ;charset=utf-8", "application/json; charset", "text/plain"]) {
      const res = await call("/api/v1/crm/contacts", {
        method: "POST",
        body: '{"first_name":"Ada"}',
        headers: { "Content-Type": type },
      });
      expect({ type, status: res.status }).toEqual({ type, status: 415 });
    }
  });
});
